#include "ipw/workload/prompt.h"

#include <stdexcept>

namespace ipw::workload {

std::string option_letter(std::size_t index) {
  if (index >= 10) throw std::out_of_range("option index " + std::to_string(index) + " has no letter (A..J)");
  return std::string(1, static_cast<char>('A' + index));
}

std::string render_prompt(const Item& item) {
  std::string text = item.prompt;
  if (!item.options.empty()) {
    text += "\n";
    for (std::size_t i = 0; i < item.options.size(); ++i) text += "\n" + option_letter(i) + ") " + item.options[i];
  }
  // The instruction names the exact line the scorers look for first; they also
  // accept many other phrasings, so a model that ignores it is not penalised.
  if (item.kind == "mc") {
    text += "\n\nEnd your reply with a line of the form \"Answer: X\", where X is the letter of the correct option.";
  } else if (item.kind == "numeric") {
    text += "\n\nEnd your reply with a line of the form \"Answer: N\", where N is the final number.";
  } else if (item.kind == "exact") {
    text += "\n\nEnd your reply with a line of the form \"Answer: …\" giving only the short answer.";
  }
  return text;
}

std::string reference_reply(const Item& item) {
  if (item.answer.empty()) return {};
  // The same wording render_prompt asks for, so every model is scored on one fixed string.
  if (item.kind == "mc" || item.kind == "numeric" || item.kind == "exact") return "Answer: " + item.answer;
  return item.answer;
}

}  // namespace ipw::workload
