#include "ipw/run/query_record.h"

#include <fmt/format.h>

#include "ipw/common/utf8.h"

namespace ipw::run {

void make_storable(QueryRecord& q) {
  for (std::string* text : {&q.response, &q.reasoning, &q.extracted, &q.error_message, &q.prompt, &q.reference}) {
    make_valid_utf8(*text);
  }
  std::string why;
  if (q.t_end_ns < q.t_start_ns) {
    why = fmt::format("the reply ended {:.3f} ms before it was sent", static_cast<double>(q.t_start_ns - q.t_end_ns) * 1e-6);
  } else if (q.t_first_token_ns != 0 && q.t_first_token_ns < q.t_start_ns) {
    why = fmt::format("the first token was stamped {:.3f} ms before the request was sent",
                      static_cast<double>(q.t_start_ns - q.t_first_token_ns) * 1e-6);
  } else if (q.t_first_token_ns != 0 && q.t_first_token_ns > q.t_end_ns) {
    why = "the first token was stamped after the reply ended";
  }
  if (why.empty()) return;
  if (q.error_kind.empty()) q.error_kind = "protocol";
  q.error_message = fmt::format("impossible timing, not used: {}{}{}", why, q.error_message.empty() ? "" : "; ",
                                q.error_message);
  // The stamps cannot be trusted, so none is kept as a first token or token time.
  q.t_first_token_ns = q.t_first_answer_token_ns = 0;
  q.token_times_ns.clear();
  if (q.t_end_ns < q.t_start_ns) q.t_end_ns = q.t_start_ns;
}

}  // namespace ipw::run
