/*
 * Native baselines for npm run bench: the same loops as bench/modules/bench_intra.ts, in C.
 *
 * Usage: calls N RUNS. Prints one line per run: ns per iteration of the empty loop, the direct call and
 * the call through a function pointer, tab-separated. Timed in CPU time, as the wasm and JS loops are.
 *
 * bench_callee is noinline and its empty asm keeps it from being treated as pure, so the direct loop
 * keeps its call; the pointer is volatile, so every iteration loads it and calls through it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

__attribute__((noinline)) int bench_callee(int x)
{
	__asm__ volatile("");
	return x + 1;
}

int (*volatile bench_pointer)(int) = bench_callee;

__attribute__((noinline)) int bench_empty(int n)
{
	int acc = 0;
	for (int i = 0; i < n; i++) {
		acc = acc + 1;
		__asm__ volatile("" : "+r"(acc));
	}
	return acc;
}

__attribute__((noinline)) int bench_direct(int n)
{
	int acc = 0;
	for (int i = 0; i < n; i++)
		acc = bench_callee(acc);
	return acc;
}

__attribute__((noinline)) int bench_indirect(int n)
{
	int acc = 0;
	for (int i = 0; i < n; i++)
		acc = bench_pointer(acc);
	return acc;
}

static double ns_per_iteration(int (*loop)(int), int n)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	volatile int sink = loop(n);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	(void)sink;
	return ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s N RUNS\n", argv[0]);
		return 2;
	}
	int n = atoi(argv[1]);
	int runs = atoi(argv[2]);
	int (*loops[])(int) = { bench_empty, bench_direct, bench_indirect };
	for (int l = 0; l < 3; l++)
		ns_per_iteration(loops[l], n);
	for (int r = 0; r < runs; r++)
		printf("%.4f\t%.4f\t%.4f\n", ns_per_iteration(bench_empty, n), ns_per_iteration(bench_direct, n),
		       ns_per_iteration(bench_indirect, n));
	return 0;
}
