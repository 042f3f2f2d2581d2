#pragma once
#include <string>

#include "ipw/workload/item.h"

namespace ipw::workload {

// The text sent to the model: the question, the options lettered "A) …" for
// multiple choice, and one line telling the model how to state its answer so
// the scorers can find it ("Answer: X"). Open chat items are sent unchanged.
std::string render_prompt(const Item& item);

// The reply a perfect model would give, as scored for perplexity (--perplexity): the line the
// prompt asks for ("Answer: B", "Answer: 68", "Answer: Paris") for mc/numeric/exact items, the
// reference answer itself for chat items; "" when the item has no reference answer.
std::string reference_reply(const Item& item);

// "A".."J" for option index 0..9.
std::string option_letter(std::size_t index);

}  // namespace ipw::workload
