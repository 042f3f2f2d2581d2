#include "ipw/run/token_counts.h"

#include <cmath>

namespace ipw::run {

void count_output_tokens(const inference::Response& r, QueryRecord& q) {
  q.finish_reason = r.finish_reason;
  q.reasoning = r.reasoning;
  const int pieces = r.reasoning_pieces + r.answer_pieces;
  if (r.output_tokens) {
    const int total = *r.output_tokens;
    q.output_tokens = total;
    q.token_source = "usage";
    if (r.reasoning_tokens && *r.reasoning_tokens >= 0 && *r.reasoning_tokens <= total) {
      q.reasoning_tokens = *r.reasoning_tokens;  // counts hidden thinking too (nothing streamed)
    } else if (r.reasoning_pieces == 0) {
      q.reasoning_tokens = 0;
    } else {
      // The server counted the tokens but not the thinking apart (llama.cpp): split the
      // total as the streamed pieces split.
      q.reasoning_tokens = static_cast<int>(std::lround(static_cast<double>(total) * r.reasoning_pieces / pieces));
      q.token_source = "usage+stream";
    }
    q.answer_tokens = total - *q.reasoning_tokens;
  } else if (pieces > 0) {
    q.output_tokens = pieces;
    q.reasoning_tokens = r.reasoning_pieces;
    q.answer_tokens = r.answer_pieces;
    q.token_source = "stream";
  } else {
    q.output_tokens = q.reasoning_tokens = q.answer_tokens = std::nullopt;
    q.token_source.clear();
  }
}

}  // namespace ipw::run
