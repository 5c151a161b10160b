/* bench/bench_core.c: placeholder until the benchmark lands (prints nothing measured). */
int main(void) { return 0; }
