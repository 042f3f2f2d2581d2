#pragma once
// Incremental Server-Sent-Events parser (the WHATWG event-stream format used by
// OpenAI-compatible servers for `stream: true`). Bytes may arrive split anywhere —
// inside a field name, between CR and LF, inside a UTF-8 sequence — so the parser
// keeps the partial line between feed() calls and emits each event only when its
// terminating blank line has arrived.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipw::inference {

struct SseEvent {
  std::string event;  // the `event:` field; empty means the default type ("message")
  std::string data;   // the `data:` lines joined with '\n'
  std::string id;     // the last `id:` seen (sticky across events, as the spec says)

  bool operator==(const SseEvent&) const = default;
};

// OpenAI-style end-of-stream sentinel (`data: [DONE]`).
inline bool is_done(const SseEvent& e) { return e.data == "[DONE]"; }

class SseParser {
 public:
  // Feeds the next bytes; returns the events they complete, in order.
  std::vector<SseEvent> feed(std::string_view bytes);

  // End of stream. The spec discards an event whose blank line never came; we return
  // it instead (if it has data), because some servers close the connection right after
  // the last `data:` line and dropping their final usage chunk would lose token counts.
  std::optional<SseEvent> finish();

  // `:`-prefixed comment lines seen so far (servers send them as keep-alives).
  std::size_t comments() const { return comments_; }

 private:
  void process_line(std::string_view line, std::vector<SseEvent>& out);
  void dispatch(std::vector<SseEvent>& out);

  std::string line_;        // bytes of the current, not yet terminated line
  bool skip_lf_ = false;    // the previous chunk ended in CR; a leading LF belongs to it
  bool first_line_ = true;  // a UTF-8 BOM may only open the stream
  std::string event_;
  std::string data_;
  bool has_data_ = false;   // `data:` with an empty value still makes an event
  std::string id_;
  std::size_t comments_ = 0;
};

}  // namespace ipw::inference
