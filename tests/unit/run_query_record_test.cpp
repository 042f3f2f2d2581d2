// What the store refuses to hold as it is (docs/reliability.md): invalid UTF-8 and
// impossible timings.
#include <gtest/gtest.h>

#include "ipw/run/query_record.h"

namespace ipw::run {
namespace {

QueryRecord timed(std::int64_t start, std::int64_t first, std::int64_t end) {
  QueryRecord q;
  q.t_start_ns = start;
  q.t_first_token_ns = first;
  q.t_end_ns = end;
  q.token_times_ns = {first, end};
  return q;
}

TEST(MakeStorable, PossibleTimingsAndValidTextAreLeftAsTheyAre) {
  QueryRecord q = timed(1'000, 5'000, 9'000);
  q.response = "caf\xC3\xA9";
  make_storable(q);
  EXPECT_TRUE(q.ok());
  EXPECT_EQ(q.t_first_token_ns, 5'000);
  EXPECT_EQ(q.token_times_ns.size(), 2u);
  EXPECT_EQ(q.response, "caf\xC3\xA9");
  QueryRecord none = timed(1'000, 0, 1'000);  // no token, zero length: possible
  none.token_times_ns.clear();
  make_storable(none);
  EXPECT_TRUE(none.ok());
}

TEST(MakeStorable, AFirstTokenBeforeTheSendBecomesAnError) {
  QueryRecord q = timed(4'000'000'000, 615'000'000, 4'100'000'000);  // a TTFT of -3385 ms
  make_storable(q);
  EXPECT_EQ(q.error_kind, "protocol");
  EXPECT_NE(q.error_message.find("first token was stamped 3385.000 ms before the request was sent"), std::string::npos)
      << q.error_message;
  EXPECT_EQ(q.t_first_token_ns, 0);
  EXPECT_FALSE(q.ttft_s());
  EXPECT_TRUE(q.token_times_ns.empty());
  const std::string once = q.error_message;
  make_storable(q);  // idempotent
  EXPECT_EQ(q.error_message, once);
}

TEST(MakeStorable, AnEndBeforeTheStartBecomesAnErrorWithNoNegativeLatency) {
  QueryRecord q = timed(2'000, 0, 1'000);
  q.token_times_ns.clear();
  q.error_kind = "timeout_total";
  q.error_message = "response not complete";
  make_storable(q);
  EXPECT_EQ(q.error_kind, "timeout_total");  // an error already named keeps its kind
  EXPECT_NE(q.error_message.find("ended 0.001 ms before it was sent; response not complete"), std::string::npos)
      << q.error_message;
  EXPECT_GE(q.latency_s(), 0.0);
}

TEST(MakeStorable, InvalidUtf8InAnyTextBecomesReplacementCharacters) {
  QueryRecord q = timed(0, 1, 2);
  q.response = "caf\xE9";
  q.error_message = "\xFF";
  q.extracted = "\xC0";
  make_storable(q);
  EXPECT_EQ(q.response, "caf\xEF\xBF\xBD");
  EXPECT_EQ(q.error_message, "\xEF\xBF\xBD");
  EXPECT_EQ(q.extracted, "\xEF\xBF\xBD");
}

}  // namespace
}  // namespace ipw::run
