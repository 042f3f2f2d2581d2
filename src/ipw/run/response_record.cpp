#include "ipw/run/response_record.h"

#include "ipw/run/token_counts.h"

namespace ipw::run {

void record_response(const inference::Response& r, std::int64_t t_end_ns, std::int64_t origin_ns, QueryRecord& q) {
  q.response = r.text;
  q.input_tokens = r.input_tokens;
  count_output_tokens(r, q);
  q.t_start_ns = r.t_send_ns - origin_ns;
  q.t_first_token_ns = r.t_first_token_ns > 0 ? r.t_first_token_ns - origin_ns : 0;
  q.t_first_answer_token_ns = r.t_first_answer_ns > 0 ? r.t_first_answer_ns - origin_ns : 0;
  q.t_end_ns = t_end_ns - origin_ns;
  q.token_times_ns.clear();
  for (std::int64_t t : r.token_times_ns) q.token_times_ns.push_back(t - origin_ns);
  if (!r.server_timings.is_null()) q.server_timings_json = r.server_timings.dump();
}

QueryActivity activity_of(const inference::Response& r, std::int64_t t_end_ns, const QueryRecord& q) {
  QueryActivity a;
  a.t_start_ns = r.t_send_ns;
  a.t_first_ns = r.t_first_token_ns;
  a.t_first_answer_ns = r.t_first_answer_ns;
  a.t_end_ns = t_end_ns;
  a.prompt_tokens = r.input_tokens.value_or(0);
  a.output_tokens = q.output_tokens.value_or(0);
  a.token_times_ns = r.token_times_ns;
  return a;
}

}  // namespace ipw::run
