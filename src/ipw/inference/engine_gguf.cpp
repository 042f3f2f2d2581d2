#include "ipw/inference/engine_gguf.h"

#include <array>
#include <cerrno>
#include <bit>
#include <cstring>
#include <fstream>
#include <utility>

#include <fmt/format.h>

namespace ipw::inference {
namespace {

// GGUF metadata value types (gguf.h, GGUF_TYPE_*).
enum class ValueType : std::uint32_t {
  u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7,
  string = 8, array = 9, u64 = 10, i64 = 11, f64 = 12,
};
constexpr std::uint32_t kMaxValueType = 12;
constexpr std::uint32_t kMaxDims = 8;  // ggml tensors have at most 4 dims; 8 is a generous guard

const char* value_type_name(std::uint32_t t) {
  static constexpr std::array<const char*, kMaxValueType + 1> names = {
      "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"};
  return t <= kMaxValueType ? names[t] : "?";
}

std::size_t scalar_size(ValueType t) {
  switch (t) {
    case ValueType::u8: case ValueType::i8: case ValueType::boolean: return 1;
    case ValueType::u16: case ValueType::i16: return 2;
    case ValueType::u32: case ValueType::i32: case ValueType::f32: return 4;
    case ValueType::u64: case ValueType::i64: case ValueType::f64: return 8;
    default: return 0;
  }
}

struct ParseError {
  std::string message;
};

// Little-endian reads with the byte offset kept for error messages. GGUF is little-endian unless
// written big-endian on purpose (rare); those files are detected from the version and refused.
class Reader {
 public:
  Reader(std::istream& in, std::uint64_t limit) : in_(in), limit_(limit) {}

  void bytes(void* dst, std::size_t n) {
    if (!in_.read(static_cast<char*>(dst), static_cast<std::streamsize>(n))) {
      throw ParseError{fmt::format("unexpected end of file at byte {} (wanted {} more bytes)", pos_, n)};
    }
    pos_ += n;
  }
  void skip(std::uint64_t n) {
    if (n > limit_) throw ParseError{fmt::format("length {} at byte {} exceeds the file size", n, pos_)};
    in_.ignore(static_cast<std::streamsize>(n));
    if (static_cast<std::uint64_t>(in_.gcount()) != n) {
      throw ParseError{fmt::format("unexpected end of file at byte {}", pos_)};
    }
    pos_ += n;
  }
  template <typename T>
  T scalar() {
    static_assert(std::endian::native == std::endian::little, "GGUF reader assumes a little-endian host");
    T v{};
    bytes(&v, sizeof v);
    return v;
  }
  std::string string() {
    const auto n = scalar<std::uint64_t>();
    if (n > limit_) throw ParseError{fmt::format("string length {} at byte {} exceeds the file size", n, pos_)};
    std::string s(n, '\0');
    bytes(s.data(), n);
    return s;
  }
  std::uint64_t pos() const { return pos_; }
  std::uint64_t limit() const { return limit_; }

 private:
  std::istream& in_;
  std::uint64_t limit_;
  std::uint64_t pos_ = 0;
};

nlohmann::json read_scalar(Reader& r, ValueType t) {
  switch (t) {
    case ValueType::u8: return r.scalar<std::uint8_t>();
    case ValueType::i8: return r.scalar<std::int8_t>();
    case ValueType::u16: return r.scalar<std::uint16_t>();
    case ValueType::i16: return r.scalar<std::int16_t>();
    case ValueType::u32: return r.scalar<std::uint32_t>();
    case ValueType::i32: return r.scalar<std::int32_t>();
    case ValueType::f32: return r.scalar<float>();
    case ValueType::boolean: return r.scalar<std::uint8_t>() != 0;
    case ValueType::u64: return r.scalar<std::uint64_t>();
    case ValueType::i64: return r.scalar<std::int64_t>();
    case ValueType::f64: return r.scalar<double>();
    case ValueType::string: return r.string();
    case ValueType::array: break;
  }
  throw ParseError{fmt::format("bad scalar type at byte {}", r.pos())};
}

ValueType read_type(Reader& r) {
  const auto at = r.pos();
  const auto t = r.scalar<std::uint32_t>();
  if (t > kMaxValueType) throw ParseError{fmt::format("unknown value type {} at byte {}", t, at)};
  return static_cast<ValueType>(t);
}

// Arrays are summarised (element type and length); their contents are skipped, except that the
// caller learns the length (the vocabulary size is the token list's length).
nlohmann::json read_value(Reader& r, ValueType t) {
  if (t != ValueType::array) return read_scalar(r, t);
  const auto elem = read_type(r);
  const auto n = r.scalar<std::uint64_t>();
  if (n > r.limit()) throw ParseError{fmt::format("array length {} at byte {} exceeds the file size", n, r.pos())};
  if (elem == ValueType::string) {
    for (std::uint64_t i = 0; i < n; ++i) r.skip(r.scalar<std::uint64_t>());
  } else if (elem == ValueType::array) {
    for (std::uint64_t i = 0; i < n; ++i) read_value(r, ValueType::array);
  } else {
    r.skip(n * scalar_size(elem));
  }
  return {{"array_of", value_type_name(static_cast<std::uint32_t>(elem))}, {"length", n}};
}

std::int64_t int_or_zero(const nlohmann::json& metadata, const std::string& key) {
  auto it = metadata.find(key);
  if (it == metadata.end() || !it->is_number_integer()) return 0;
  return it->get<std::int64_t>();
}

GgufFacts parse(Reader& r) {
  char magic[4];
  r.bytes(magic, 4);
  if (std::memcmp(magic, "GGUF", 4) != 0) throw ParseError{"not a GGUF file (the first 4 bytes are not 'GGUF')"};
  GgufFacts f;
  f.version = r.scalar<std::uint32_t>();
  if (f.version == 0 || f.version > 0xFFFF) {
    throw ParseError{fmt::format("GGUF version {:#x} looks byte-swapped: big-endian GGUF files are not supported", f.version)};
  }
  if (f.version < 2) throw ParseError{fmt::format("GGUF version {} is too old (need 2 or later)", f.version)};
  f.tensor_count = r.scalar<std::uint64_t>();
  const auto kv_count = r.scalar<std::uint64_t>();
  if (f.tensor_count > r.limit() || kv_count > r.limit()) throw ParseError{"tensor or key count exceeds the file size"};

  for (std::uint64_t i = 0; i < kv_count; ++i) {
    std::string key = r.string();
    const auto t = read_type(r);
    f.metadata[key] = read_value(r, t);
  }
  for (std::uint64_t i = 0; i < f.tensor_count; ++i) {
    const std::string name = r.string();
    const auto n_dims = r.scalar<std::uint32_t>();
    if (n_dims > kMaxDims) throw ParseError{fmt::format("tensor '{}' has {} dimensions", name, n_dims)};
    std::uint64_t elements = 1;
    for (std::uint32_t d = 0; d < n_dims; ++d) elements *= r.scalar<std::uint64_t>();
    const auto type = r.scalar<std::uint32_t>();
    r.scalar<std::uint64_t>();  // data offset: the weights themselves are not read
    f.parameter_count += elements;
    ++f.tensor_types[ggml_type_name(type)];
  }

  auto str = [&](const std::string& key) {
    auto it = f.metadata.find(key);
    return it != f.metadata.end() && it->is_string() ? it->get<std::string>() : std::string{};
  };
  f.architecture = str("general.architecture");
  f.name = str("general.name");
  if (!f.architecture.empty()) {
    f.context_length = int_or_zero(f.metadata, f.architecture + ".context_length");
    f.embedding_length = int_or_zero(f.metadata, f.architecture + ".embedding_length");
    f.block_count = int_or_zero(f.metadata, f.architecture + ".block_count");
  }
  if (auto it = f.metadata.find("tokenizer.ggml.tokens"); it != f.metadata.end() && it->is_object()) {
    f.vocab_size = it->value("length", std::int64_t{0});
  }
  if (auto it = f.metadata.find("general.file_type"); it != f.metadata.end() && it->is_number_integer()) {
    f.file_type = gguf_file_type_name(it->get<std::int64_t>());
  } else if (!f.tensor_types.empty()) {
    auto most = f.tensor_types.begin();
    for (auto it2 = f.tensor_types.begin(); it2 != f.tensor_types.end(); ++it2) {
      if (it2->second > most->second) most = it2;
    }
    f.file_type = "mostly " + most->first;
  }
  return f;
}

}  // namespace

nlohmann::json GgufFacts::to_json() const {
  nlohmann::json meta = metadata;
  if (auto it = meta.find("tokenizer.chat_template"); it != meta.end() && it->is_string()) {
    // In place: assigning a new json here trips GCC 12's -Wnull-dereference inside nlohmann.
    auto& text = it->get_ref<std::string&>();
    text = fmt::format("<{} characters>", text.size());
  }
  return {{"gguf_version", version},         {"architecture", architecture},
          {"name", name},                    {"parameter_count", parameter_count},
          {"file_type", file_type},          {"context_length", context_length},
          {"embedding_length", embedding_length}, {"block_count", block_count},
          {"vocab_size", vocab_size},        {"tensor_count", tensor_count},
          {"tensor_types", tensor_types},    {"metadata", meta}};
}

Expected<GgufFacts, std::string> read_gguf(std::istream& in, std::uint64_t size_limit_bytes) {
  Reader r(in, size_limit_bytes);
  try {
    return parse(r);
  } catch (const ParseError& e) {
    return unexpected(e.message);
  }
}

Expected<GgufFacts, std::string> read_gguf_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return unexpected(fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0);
  auto facts = read_gguf(in, size);
  if (!facts) return unexpected(fmt::format("'{}': {}", path, facts.error()));
  return facts;
}

std::string gguf_file_type_name(std::int64_t ftype) {
  // llama.h, enum llama_ftype; gaps are removed formats.
  static const std::map<std::int64_t, const char*> names = {
      {0, "F32"},      {1, "F16"},      {2, "Q4_0"},     {3, "Q4_1"},    {7, "Q8_0"},
      {8, "Q5_0"},     {9, "Q5_1"},     {10, "Q2_K"},    {11, "Q3_K_S"}, {12, "Q3_K_M"},
      {13, "Q3_K_L"},  {14, "Q4_K_S"},  {15, "Q4_K_M"},  {16, "Q5_K_S"}, {17, "Q5_K_M"},
      {18, "Q6_K"},    {19, "IQ2_XXS"}, {20, "IQ2_XS"},  {21, "Q2_K_S"}, {22, "IQ3_XS"},
      {23, "IQ3_XXS"}, {24, "IQ1_S"},   {25, "IQ4_NL"},  {26, "IQ3_S"},  {27, "IQ3_M"},
      {28, "IQ2_S"},   {29, "IQ2_M"},   {30, "IQ4_XS"},  {31, "IQ1_M"},  {32, "BF16"},
      {36, "TQ1_0"},   {37, "TQ2_0"},   {38, "MXFP4_MOE"}, {39, "NVFP4"}, {40, "Q1_0"},
      {41, "Q2_0"}};
  auto it = names.find(ftype);
  return it != names.end() ? it->second : fmt::format("unknown({})", ftype);
}

std::string ggml_type_name(std::uint32_t type) {
  // ggml.h, enum ggml_type; gaps are removed formats.
  static const std::map<std::uint32_t, const char*> names = {
      {0, "F32"},     {1, "F16"},     {2, "Q4_0"},    {3, "Q4_1"},   {6, "Q5_0"},   {7, "Q5_1"},
      {8, "Q8_0"},    {9, "Q8_1"},    {10, "Q2_K"},   {11, "Q3_K"},  {12, "Q4_K"},  {13, "Q5_K"},
      {14, "Q6_K"},   {15, "Q8_K"},   {16, "IQ2_XXS"}, {17, "IQ2_XS"}, {18, "IQ3_XXS"},
      {19, "IQ1_S"},  {20, "IQ4_NL"}, {21, "IQ3_S"},  {22, "IQ2_S"}, {23, "IQ4_XS"}, {24, "I8"},
      {25, "I16"},    {26, "I32"},    {27, "I64"},    {28, "F64"},   {29, "IQ1_M"}, {30, "BF16"},
      {34, "TQ1_0"},  {35, "TQ2_0"},  {39, "MXFP4"},  {40, "NVFP4"}, {41, "Q1_0"},  {42, "Q2_0"}};
  auto it = names.find(type);
  return it != names.end() ? it->second : fmt::format("type{}", type);
}

}  // namespace ipw::inference
