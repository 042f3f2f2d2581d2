#pragma once
// Which task a proxied request belongs to, and its turn in that task (docs/agents.md):
// the request's X-IPW-Task header, else its OpenAI `user` field, else a task of its
// own. Turns are numbered 1, 2, … in the order the proxy received the requests.
#include <map>
#include <string>

#include "ipw/common/thread_annotations.h"

namespace ipw::proxy {

class TaskBook {
 public:
  struct Assigned {
    std::string task;
    int turn = 0;
  };
  // header: the X-IPW-Task value ("" when absent); user: the body's `user` ("" when
  // none); seq: the request's number, which names a task of its own.
  Assigned assign(const std::string& header, const std::string& user, int seq);
  std::size_t tasks() const;

 private:
  mutable Mutex mu_;
  std::map<std::string, int> turns_ IPW_GUARDED_BY(mu_);
};

}  // namespace ipw::proxy
