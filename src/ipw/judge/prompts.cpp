#include "ipw/judge/prompts.h"

#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "ipw/judge/prompt_files.h"
#include "ipw/common/sha256.h"

namespace ipw::judge {
namespace {

// "pairwise-v12.txt" -> 12 when the stem is "pairwise"; 0 otherwise.
int version_number(std::string_view file, std::string_view protocol) {
  const std::string prefix = std::string(protocol) + "-v";
  if (file.substr(0, prefix.size()) != prefix || file.size() < prefix.size() + 5 ||
      file.substr(file.size() - 4) != ".txt") {
    return 0;
  }
  const std::string_view digits = file.substr(prefix.size(), file.size() - 4 - prefix.size());
  int n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + (c - '0');
  }
  return n;
}

PromptTemplate load(Protocol p) {
  const std::string name = to_string(p);
  const EmbeddedFile* best = nullptr;
  int best_version = 0;
  for (const auto& f : prompt_files()) {
    const int v = version_number(f.name, name);
    if (v > best_version) {
      best_version = v;
      best = &f;
    }
  }
  if (!best) throw std::logic_error(fmt::format("no judge prompt data/judge/{}-v<N>.txt was embedded", name));
  PromptTemplate t;
  t.protocol = p;
  t.version = fmt::format("{}-v{}", name, best_version);
  t.text = std::string(best->content);
  t.sha256 = sha256_hex(t.text);
  for (const char* key : {"{{question}}", "{{answer}}", "{{reference}}"}) {
    if (t.text.find(key) == std::string::npos) {
      throw std::logic_error(fmt::format("judge prompt {} lacks the placeholder {}", t.version, key));
    }
  }
  return t;
}

}  // namespace

const char* to_string(Protocol p) { return p == Protocol::pairwise ? "pairwise" : "reference"; }

const PromptTemplate& prompt_template(Protocol p) {
  static const PromptTemplate reference = load(Protocol::reference);
  static const PromptTemplate pairwise = load(Protocol::pairwise);
  return p == Protocol::pairwise ? pairwise : reference;
}

std::string render(const PromptTemplate& t, std::string_view question, std::string_view answer,
                   std::string_view reference) {
  const std::map<std::string_view, std::string_view> values = {
      {"{{question}}", question}, {"{{answer}}", answer}, {"{{reference}}", reference}};
  std::string out;
  std::size_t i = 0;
  const std::string& s = t.text;
  while (i < s.size()) {
    bool replaced = false;
    if (s.compare(i, 2, "{{") == 0) {
      for (const auto& [key, value] : values) {
        if (s.compare(i, key.size(), key) == 0) {
          out += value;
          i += key.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += s[i++];
  }
  return out;
}

nlohmann::json prompts_manifest() {
  nlohmann::json j = nlohmann::json::object();
  for (Protocol p : {Protocol::reference, Protocol::pairwise}) {
    const auto& t = prompt_template(p);
    j[to_string(p)] = {{"version", t.version}, {"sha256", t.sha256},
                       {"file", fmt::format("data/judge/{}.txt", t.version)}};
  }
  return j;
}

}  // namespace ipw::judge
