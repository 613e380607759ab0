# threads.sh: musl's pthreads on the library OS's cooperative threads.

threads_basic() {
	vm run "$B/tests/guest/$1.img"
	want_status 0 && want_out out "all ok"
}

threads_deadlock() {
	vm run "$B/tests/guest/thread_deadlock.img"
	want_status 253 && want_out err "all threads blocked forever" && want_out err "backtrace:"
}

tk "pthreads: create, join, mutexes, condition variables, sleeps, 2000 cycles" threads_basic thread_basic
tk "futex: wait, wake, bitsets, requeue, timeouts" threads_basic thread_futex
tk "a deadlock is reported, not slept through" threads_deadlock
