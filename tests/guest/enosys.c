/* enosys: an unimplemented system call returns ENOSYS; the first use is logged. */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	for (int i = 0; i < 3; i++) {
		long rc = syscall(SYS_acct, 0);

		if (rc != -1 || errno != ENOSYS) {
			printf("FAIL: acct returned %ld errno %d\n", rc, errno);
			return 1;
		}
	}
	printf("acct: ENOSYS three times\n");
	return 0;
}
