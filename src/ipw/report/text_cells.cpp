#include "ipw/report/text_cells.h"

namespace ipw::report {

std::string cut(const std::string& s, std::size_t width) {
  if (s.size() <= width) return s;
  std::string out(s, 0, width - 1);
  out.push_back('~');
  return out;
}

}  // namespace ipw::report
