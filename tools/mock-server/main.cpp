#include <cstdio>
int main() { std::puts("ipw-mock-server: under construction"); return 0; }
