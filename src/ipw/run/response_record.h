#pragma once
// A reply as the run stores it: what the client saw of one request (an
// inference::Response) turned into a QueryRecord's texts, tokens and times, and into
// the activity the energy ledger shares spans by. One definition for the profiler's
// own queries (session_stage.cpp) and for requests observed by `ipw proxy`
// (session_observe.cpp), so both are stored alike.
#include <cstdint>

#include "ipw/inference/client.h"
#include "ipw/run/energy_shares.h"
#include "ipw/run/query_record.h"

namespace ipw::run {

// Sets q's response, tokens, times (relative to origin_ns, the session's time origin)
// and server timings from r; t_end_ns (monotonic) ends the window.
void record_response(const inference::Response& r, std::int64_t t_end_ns, std::int64_t origin_ns, QueryRecord& q);

// The ledger's view of the same request (monotonic times; q as record_response left it).
QueryActivity activity_of(const inference::Response& r, std::int64_t t_end_ns, const QueryRecord& q);

}  // namespace ipw::run
