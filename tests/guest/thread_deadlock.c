/* thread_deadlock: two threads take two mutexes in opposite orders; the
 * library OS sees that no thread can ever run and ends the VM with 255. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;

static void *take(void *arg)
{
	pthread_mutex_t *first = arg ? &a : &b, *second = arg ? &b : &a;
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	pthread_mutex_lock(first);
	nanosleep(&ts, NULL); /* the other thread takes its first mutex meanwhile */
	pthread_mutex_lock(second);
	pthread_mutex_unlock(second);
	pthread_mutex_unlock(first);
	return NULL;
}

int main(void)
{
	pthread_t t1, t2;

	pthread_create(&t1, NULL, take, (void *)1);
	pthread_create(&t2, NULL, take, NULL);
	printf("ok   two threads started\n");
	fflush(stdout);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	printf("FAIL the deadlock went unnoticed\n");
	return 1;
}
