// bin/ipw-test-write-parquet SOURCE OUT [SELECT [WHERE]]: a Parquet copy of a JSONL or
// CSV fixture, for the e2e tests (parquet_fixture.h).
#include <cstdio>
#include <exception>

#include "parquet_fixture.h"

int main(int argc, char** argv) {
  if (argc < 3 || argc > 5) {
    std::fprintf(stderr, "usage: ipw-test-write-parquet SOURCE OUT [SELECT [WHERE]]\n");
    return 2;
  }
  try {
    ipw::testing::write_parquet_copy(argv[1], argv[2], argc > 3 ? argv[3] : "*", argc > 4 ? argv[4] : "true");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ipw-test-write-parquet: %s\n", e.what());
    return 1;
  }
  return 0;
}
