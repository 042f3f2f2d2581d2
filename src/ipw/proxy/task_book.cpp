#include "ipw/proxy/task_book.h"

#include <fmt/format.h>

namespace ipw::proxy {

TaskBook::Assigned TaskBook::assign(const std::string& header, const std::string& user, int seq) {
  std::string task = !header.empty() ? header : !user.empty() ? user : fmt::format("request-{}", seq);
  MutexLock l(mu_);
  const int turn = ++turns_[task];
  return {std::move(task), turn};
}

std::size_t TaskBook::tasks() const {
  MutexLock l(mu_);
  return turns_.size();
}

}  // namespace ipw::proxy
