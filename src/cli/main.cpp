#include <cstdio>
int main() { std::puts("ipw: under construction"); return 0; }
