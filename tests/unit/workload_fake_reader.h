#pragma once
// An in-memory FileReader for loader tests: no disk, every file named in the test.
#include <map>
#include <string>

#include "ipw/workload/dataset.h"

namespace ipw::workload::testing {

class FakeReader final : public FileReader {
 public:
  FakeReader& add(const std::string& path, std::string bytes) {
    files_[path] = std::move(bytes);
    return *this;
  }
  std::string read(const std::string& path) const override {
    auto it = files_.find(path);
    if (it == files_.end()) throw DatasetError("cannot read " + path + ": No such file or directory");
    return it->second;
  }

 private:
  std::map<std::string, std::string> files_;
};

}  // namespace ipw::workload::testing
