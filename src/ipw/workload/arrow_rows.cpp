// Arrow IPC (the columnar format's stream and file layouts) -> rows. Hugging Face's
// `datasets` writes its caches and `save_to_disk` folders this way, uncompressed and
// without dictionaries; that is what this reads. Every length and offset comes from
// the file, so each is checked against the bytes it points into before it is used:
// a damaged file is an error that says what is wrong, never a read out of bounds
// (fuzz/arrow_rows_fuzz.cpp).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>

#include "arrow_format_generated.h"
#include "ipw/common/utf8.h"
#include "ipw/workload/source_rows.h"

namespace ipw::workload {
namespace {

namespace fb = ipw::arrow_fb;
using nlohmann::json;

constexpr std::string_view kFileMagic = "ARROW1";
constexpr std::uint32_t kContinuation = 0xFFFFFFFFu;

[[noreturn]] void corrupt(const std::string& what) {
  throw FatalParseError(0, "not a valid Arrow IPC file: " + what);
}

template <typename T>
T load(const char* p) {  // little-endian, any alignment
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

std::string type_name(fb::Type t) {
  const char* name = fb::EnumNameType(t);
  return name && *name ? name : "type #" + std::to_string(static_cast<int>(t));
}

// Names become JSON keys, which must be UTF-8 as Arrow requires of them.
std::string field_name(const fb::Field& field) {
  std::string name = field.name() ? field.name()->str() : "";
  if (!is_valid_utf8(name)) corrupt("a column's name is not UTF-8");
  return name;
}

// One record batch's body, and the cursors over its node and buffer lists, which
// are consumed in the schema's depth-first field order.
class BatchDecoder {
 public:
  // `budget`: how many more values the file may hold, shared by all its batches.
  BatchDecoder(const fb::RecordBatch& batch, std::string_view body, std::uint64_t& budget,
               std::vector<std::string>& notes)
      : batch_(batch), body_(body), budget_(budget), notes_(notes) {
    if (!batch.nodes() || !batch.buffers()) corrupt("a record batch has no node or buffer list");
  }

  // The values of one field as JSON, `length` of them; path names it in messages.
  std::vector<json> decode(const fb::Field& field, const std::string& path) {
    const fb::FieldNode node = next_node(path);
    const std::int64_t n = node.length();
    if (n < 0 || static_cast<std::uint64_t>(n) > budget_) {
      corrupt("column '" + path + "' claims " + std::to_string(n) + " values, more than the file could hold");
    }
    budget_ -= static_cast<std::uint64_t>(n);
    const auto count = static_cast<std::size_t>(n);
    if (field.dictionary()) {
      throw FatalParseError(0, "column '" + path + "' is dictionary-encoded, which ipw does not read; "
                               "write the file without dictionaries or convert it to Parquet");
    }
    const fb::Type type = field.type_type();
    switch (type) {
      case fb::Type_Null:
        return std::vector<json>(count);
      case fb::Type_Int: {
        const fb::Int* t = field.type_as_Int();
        const int bits = t ? t->bit_width() : 0;
        if (bits != 8 && bits != 16 && bits != 32 && bits != 64) corrupt("column '" + path + "' has an integer width of " + std::to_string(bits));
        return fixed_width(path, count, static_cast<std::size_t>(bits / 8), [&](const char* p) -> json {
          const bool is_signed = t->is_signed();
          switch (bits) {
            case 8: return is_signed ? json(load<std::int8_t>(p)) : json(load<std::uint8_t>(p));
            case 16: return is_signed ? json(load<std::int16_t>(p)) : json(load<std::uint16_t>(p));
            case 32: return is_signed ? json(load<std::int32_t>(p)) : json(load<std::uint32_t>(p));
            default: return is_signed ? json(load<std::int64_t>(p)) : json(load<std::uint64_t>(p));
          }
        });
      }
      case fb::Type_FloatingPoint: {
        const fb::FloatingPoint* t = field.type_as_FloatingPoint();
        const fb::Precision p = t ? t->precision() : fb::Precision_HALF;
        if (p == fb::Precision_DOUBLE) return fixed_width(path, count, 8, [](const char* q) { return json(load<double>(q)); });
        if (p == fb::Precision_SINGLE) return fixed_width(path, count, 4, [](const char* q) { return json(load<float>(q)); });
        return unread(path, "a half-precision float", count);
      }
      case fb::Type_Bool: {
        const Validity valid = validity(path, count);
        const std::string_view bits = buffer(path);
        need(path, bits, (count + 7) / 8);
        std::vector<json> out(count);
        for (std::size_t i = 0; i < count; ++i)
          if (valid(i)) out[i] = ((static_cast<unsigned char>(bits[i / 8]) >> (i % 8)) & 1u) != 0;
        return out;
      }
      case fb::Type_Utf8: return strings<std::int32_t>(path, count, true);
      case fb::Type_LargeUtf8: return strings<std::int64_t>(path, count, true);
      case fb::Type_Binary: return strings<std::int32_t>(path, count, false);
      case fb::Type_LargeBinary: return strings<std::int64_t>(path, count, false);
      case fb::Type_List:
      case fb::Type_Map:  // a list of {key, value} structs
        return lists<std::int32_t>(field, path, count);
      case fb::Type_LargeList: return lists<std::int64_t>(field, path, count);
      case fb::Type_FixedSizeList: {
        const fb::FixedSizeList* t = field.type_as_FixedSizeList();
        const std::int64_t size = t ? t->list_size() : -1;
        if (size < 0) corrupt("column '" + path + "' has a negative list size");
        const Validity valid = validity(path, count);
        const std::vector<json> child = decode(only_child(field, path), path + "[]");
        if (static_cast<std::uint64_t>(size) * count > child.size()) corrupt("column '" + path + "' has fewer values than its lists hold");
        std::vector<json> out(count);
        for (std::size_t i = 0; i < count; ++i) {
          if (!valid(i)) continue;
          out[i] = json::array();
          for (std::size_t k = 0; k < static_cast<std::size_t>(size); ++k) out[i].push_back(child[i * static_cast<std::size_t>(size) + k]);
        }
        return out;
      }
      case fb::Type_Struct_: {
        const Validity valid = validity(path, count);
        std::vector<json> out(count);
        for (std::size_t i = 0; i < count; ++i)
          if (valid(i)) out[i] = json::object();
        if (field.children()) {
          for (const fb::Field* child_field : *field.children()) {
            const std::string name = field_name(*child_field);
            const std::vector<json> child = decode(*child_field, path + "." + name);
            if (child.size() < count) corrupt("struct column '" + path + "' has a shorter child '" + name + "'");
            for (std::size_t i = 0; i < count; ++i)
              if (valid(i)) out[i][name] = child[i];
          }
        }
        return out;
      }
      case fb::Type_Decimal:
      case fb::Type_Date:
      case fb::Type_Time:
      case fb::Type_Timestamp:
      case fb::Type_Interval:
      case fb::Type_Duration:
      case fb::Type_FixedSizeBinary:
        return unread(path, type_name(type), count);
      default:
        throw FatalParseError(0, "column '" + path + "' has Arrow type " + type_name(type) +
                                     ", which ipw does not read; convert the file to Parquet");
    }
  }

 private:
  class Validity {
   public:
    explicit Validity(std::string_view bits) : bits_(bits) {}
    bool operator()(std::size_t i) const {
      return bits_.empty() || ((static_cast<unsigned char>(bits_[i / 8]) >> (i % 8)) & 1u) != 0;
    }

   private:
    std::string_view bits_;  // empty: every value is present
  };

  // Structs in a FlatBuffers vector are 8-byte values the verifier does not align-check,
  // so they are copied out rather than read in place (a damaged file may misplace them).
  template <typename T>
  static T copy_of(const T* in_buffer) {
    T out;
    std::memcpy(static_cast<void*>(&out), static_cast<const void*>(in_buffer), sizeof out);
    return out;
  }

  fb::FieldNode next_node(const std::string& path) {
    if (node_ >= batch_.nodes()->size()) corrupt("the record batch describes fewer columns than the schema ('" + path + "')");
    return copy_of(batch_.nodes()->Get(node_++));
  }

  std::string_view buffer(const std::string& path) {
    if (buffer_ >= batch_.buffers()->size()) corrupt("the record batch has fewer buffers than column '" + path + "' needs");
    const fb::Buffer b = copy_of(batch_.buffers()->Get(buffer_++));
    if (b.offset() < 0 || b.length() < 0 || static_cast<std::uint64_t>(b.offset()) > body_.size() ||
        static_cast<std::uint64_t>(b.length()) > body_.size() - static_cast<std::uint64_t>(b.offset())) {
      corrupt("a buffer of column '" + path + "' lies outside the message body");
    }
    return body_.substr(static_cast<std::size_t>(b.offset()), static_cast<std::size_t>(b.length()));
  }

  static void need(const std::string& path, std::string_view buf, std::uint64_t bytes) {
    if (buf.size() < bytes) corrupt("a buffer of column '" + path + "' is shorter than its values");
  }

  Validity validity(const std::string& path, std::size_t count) {
    const std::string_view bits = buffer(path);
    if (!bits.empty()) need(path, bits, (count + 7) / 8);
    return Validity(bits);
  }

  const fb::Field& only_child(const fb::Field& field, const std::string& path) const {
    if (!field.children() || field.children()->size() != 1) corrupt("list column '" + path + "' must have one child");
    return *field.children()->Get(0);
  }

  template <typename Read>
  std::vector<json> fixed_width(const std::string& path, std::size_t count, std::size_t width, Read read) {
    const Validity valid = validity(path, count);
    const std::string_view data = buffer(path);
    need(path, data, static_cast<std::uint64_t>(count) * width);
    std::vector<json> out(count);
    for (std::size_t i = 0; i < count; ++i)
      if (valid(i)) out[i] = read(data.data() + i * width);
    return out;
  }

  // A column ipw has no use for and no faithful JSON form of: its two buffers
  // (validity, values) are skipped, its values are null, and the notes say so once.
  std::vector<json> unread(const std::string& path, const std::string& what, std::size_t count) {
    validity(path, count);
    buffer(path);
    note("column '" + path + "' has Arrow type " + what + ", which ipw does not read: its values are left empty");
    return std::vector<json>(count);
  }

  void note(const std::string& text) {
    for (const std::string& n : notes_)
      if (n == text) return;
    notes_.push_back(text);
  }

  // count + 1 offsets, in order, none past `limit` (the size of what they index).
  template <typename Offset>
  static std::vector<Offset> offsets(const std::string& path, std::string_view buf, std::size_t count,
                                     std::uint64_t limit) {
    std::vector<Offset> out(count + 1, 0);
    if (count == 0 && buf.empty()) return out;  // an empty column may omit its offsets
    need(path, buf, (static_cast<std::uint64_t>(count) + 1) * sizeof(Offset));
    for (std::size_t i = 0; i <= count; ++i) {
      out[i] = load<Offset>(buf.data() + i * sizeof(Offset));
      if (out[i] < 0 || static_cast<std::uint64_t>(out[i]) > limit || (i > 0 && out[i] < out[i - 1])) {
        corrupt("column '" + path + "' has offsets out of order or past its values");
      }
    }
    return out;
  }

  // Text is kept as its bytes: the caller turns a row with ill-formed UTF-8 into a
  // bad row, as the JSONL reader does.
  template <typename Offset>
  std::vector<json> strings(const std::string& path, std::size_t count, bool utf8) {
    const Validity valid = validity(path, count);
    const std::string_view offset_bytes = buffer(path);
    const std::string_view data = buffer(path);
    const std::vector<Offset> at = offsets<Offset>(path, offset_bytes, count, data.size());
    if (!utf8) {
      note("column '" + path + "' is binary, which ipw does not read: its values are left empty");
      return std::vector<json>(count);
    }
    std::vector<json> out(count);
    for (std::size_t i = 0; i < count; ++i) {
      if (valid(i)) out[i] = std::string(data.substr(static_cast<std::size_t>(at[i]), static_cast<std::size_t>(at[i + 1] - at[i])));
    }
    return out;
  }

  template <typename Offset>
  std::vector<json> lists(const fb::Field& field, const std::string& path, std::size_t count) {
    const Validity valid = validity(path, count);
    const std::string_view offset_bytes = buffer(path);  // the list's own buffers come before its child's
    std::vector<json> child = decode(only_child(field, path), path + "[]");
    const std::vector<Offset> at = offsets<Offset>(path, offset_bytes, count, child.size());
    std::vector<json> out(count);
    for (std::size_t i = 0; i < count; ++i) {
      if (!valid(i)) continue;
      out[i] = json::array();
      for (auto k = static_cast<std::size_t>(at[i]); k < static_cast<std::size_t>(at[i + 1]); ++k) out[i].push_back(std::move(child[k]));
    }
    return out;
  }

  const fb::RecordBatch& batch_;
  std::string_view body_;
  std::uint64_t& budget_;
  std::vector<std::string>& notes_;
  flatbuffers::uoffset_t node_ = 0;
  flatbuffers::uoffset_t buffer_ = 0;
};

// Whether some text inside `v` is not well-formed UTF-8.
bool has_bad_utf8(const json& v) {
  if (v.is_string()) return !is_valid_utf8(v.get_ref<const std::string&>());
  if (v.is_structured()) {
    for (const json& e : v)
      if (has_bad_utf8(e)) return true;
  }
  return false;
}

// FlatBuffers reads its scalars in place, so metadata must sit at the alignment the
// format gives it; in a file's bytes it need not (a damaged file can put it
// anywhere), so each metadata block is copied to 8-byte-aligned storage first.
class AlignedCopy {
 public:
  explicit AlignedCopy(std::string_view bytes) : words_((bytes.size() + 7) / 8) {
    if (!bytes.empty()) std::memcpy(words_.data(), bytes.data(), bytes.size());
  }
  const std::uint8_t* data() const { return reinterpret_cast<const std::uint8_t*>(words_.data()); }

 private:
  std::vector<std::uint64_t> words_;
};

struct Message {
  std::shared_ptr<const AlignedCopy> storage;  // what `meta` points into
  const fb::Message* meta = nullptr;           // null: end of stream
  std::string_view body;
};

Message next_message(std::string_view bytes, std::size_t& pos) {
  if (pos == bytes.size()) return {};  // a stream may end without its end marker
  if (bytes.size() - pos < 4) corrupt("it ends inside a message header");
  std::uint32_t length = load<std::uint32_t>(bytes.data() + pos);
  pos += 4;
  if (length == kContinuation) {
    if (bytes.size() - pos < 4) corrupt("it ends inside a message header");
    length = load<std::uint32_t>(bytes.data() + pos);
    pos += 4;
  }
  if (length == 0) return {};
  if (length > bytes.size() - pos) corrupt("a message's metadata runs past the end of the file");
  Message m;
  m.storage = std::make_shared<const AlignedCopy>(bytes.substr(pos, length));
  flatbuffers::Verifier verifier(m.storage->data(), length);
  if (!fb::VerifyMessageBuffer(verifier)) corrupt("a message's metadata is damaged");
  m.meta = fb::GetMessage(m.storage->data());
  pos += length;
  const std::int64_t body_length = m.meta->body_length();
  if (body_length < 0 || static_cast<std::uint64_t>(body_length) > bytes.size() - pos) {
    corrupt("a message's body runs past the end of the file");
  }
  m.body = bytes.substr(pos, static_cast<std::size_t>(body_length));
  pos += static_cast<std::size_t>(body_length);
  return m;
}

const fb::Schema* checked(const fb::Schema* schema) {
  if (!schema) corrupt("a schema message holds no schema");
  if (schema->endianness() != fb::Endianness_Little) {
    throw FatalParseError(0, "the Arrow file is big-endian, which ipw does not read");
  }
  if (!schema->fields()) corrupt("its schema lists no fields");
  return schema;
}

// The file layout ends with its footer, the footer's length and the magic again.
// Its schema is the file's: writers need not repeat it at the start (Arrow's
// JavaScript writer does not).
// The schema points into `storage`, which the caller keeps.
const fb::Schema* footer_schema(std::string_view bytes, std::shared_ptr<const AlignedCopy>& storage) {
  constexpr std::size_t kTail = 4 + kFileMagic.size();
  if (bytes.size() < 8 + kTail || bytes.substr(bytes.size() - kFileMagic.size()) != kFileMagic) {
    corrupt("it starts as an Arrow file but does not end as one (truncated?)");
  }
  const std::int32_t length = load<std::int32_t>(bytes.data() + bytes.size() - kTail);
  if (length <= 0 || static_cast<std::size_t>(length) > bytes.size() - 8 - kTail) corrupt("its footer's length is wrong");
  storage = std::make_shared<const AlignedCopy>(
      bytes.substr(bytes.size() - kTail - static_cast<std::size_t>(length), static_cast<std::size_t>(length)));
  flatbuffers::Verifier verifier(storage->data(), static_cast<std::size_t>(length));
  if (!verifier.VerifyBuffer<fb::Footer>(nullptr)) corrupt("its footer is damaged");
  const fb::Schema* schema = flatbuffers::GetRoot<fb::Footer>(storage->data())->schema();
  if (!schema) corrupt("its footer has no schema");
  return schema;
}

}  // namespace

std::vector<SourceRow> parse_arrow_ipc(std::string_view bytes, const BadRowHandler& bad_row,
                                       std::vector<std::string>& notes) {
  std::size_t pos = 0;
  const fb::Schema* schema = nullptr;
  std::shared_ptr<const AlignedCopy> schema_storage;  // what `schema` points into
  if (bytes.substr(0, kFileMagic.size()) == kFileMagic) {  // the file layout: magic, padding, a stream, the footer
    pos = 8;
    schema = checked(footer_schema(bytes, schema_storage));
  }
  const bool schema_from_footer = schema != nullptr;
  // A value takes at least a bit of the file (a bool), except in null columns and
  // structs without fields, which real files do not fill with millions of values:
  // 64 values per byte is far beyond any real file, and a damaged length can then
  // never make ipw allocate more than a small multiple of the file.
  std::uint64_t budget = (static_cast<std::uint64_t>(bytes.size()) + 64) * 64;
  const auto max_rows = static_cast<std::int64_t>(std::numeric_limits<std::int32_t>::max());
  std::vector<SourceRow> rows;
  int row = 0;  // 1-based row number across batches, for messages
  for (Message m = next_message(bytes, pos); m.meta; m = next_message(bytes, pos)) {
    switch (m.meta->header_type()) {
      case fb::MessageHeader_Schema:
        if (schema_from_footer) break;  // the footer's copy is the one read
        if (schema) corrupt("it has two schemas");
        schema = checked(m.meta->header_as_Schema());
        schema_storage = m.storage;
        break;
      case fb::MessageHeader_RecordBatch: {
        if (!schema) corrupt("a record batch comes before the schema");
        if (!m.meta->header_as_RecordBatch()) corrupt("a record batch message holds no record batch");
        const fb::RecordBatch& batch = *m.meta->header_as_RecordBatch();
        if (batch.compression()) {
          throw FatalParseError(0, "the Arrow file's buffers are compressed (LZ4 or ZSTD), which ipw does not "
                                   "read; write it uncompressed or convert it to Parquet");
        }
        if (batch.length() < 0 || batch.length() > max_rows - row || static_cast<std::uint64_t>(batch.length()) > budget) {
          corrupt("a record batch claims " + std::to_string(batch.length()) + " rows");
        }
        budget -= static_cast<std::uint64_t>(batch.length());
        const auto count = static_cast<std::size_t>(batch.length());
        BatchDecoder decoder(batch, m.body, budget, notes);
        std::vector<json> batch_rows(count, json::object());
        for (const fb::Field* field : *schema->fields()) {
          const std::string name = field_name(*field);
          std::vector<json> column = decoder.decode(*field, name);
          if (column.size() != count) {
            corrupt("column '" + name + "' has " + std::to_string(column.size()) + " values in a batch of " +
                    std::to_string(count) + " rows");
          }
          for (std::size_t i = 0; i < count; ++i) batch_rows[i][name] = std::move(column[i]);
        }
        for (json& fields : batch_rows) {
          const int row_no = ++row;
          const auto bad = std::find_if(fields.begin(), fields.end(), [](const json& v) { return has_bad_utf8(v); });
          if (bad != fields.end()) {
            bad_row(row_no, "column '" + bad.key() + "' holds text that is not UTF-8");
            continue;
          }
          rows.push_back({row_no, std::move(fields)});
        }
        break;
      }
      case fb::MessageHeader_DictionaryBatch:
        throw FatalParseError(0, "the Arrow file has dictionary-encoded columns, which ipw does not read; "
                                 "write it without dictionaries or convert it to Parquet");
      default:
        corrupt("it holds a message that is not a schema or a record batch");
    }
  }
  if (!schema) corrupt("it has no schema");
  return rows;
}

}  // namespace ipw::workload
