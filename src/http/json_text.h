// JSON text for response bodies: the text of a value (JsonText), and a
// writer that streams one without building a value first (JsonTextWriter).
//
// Exactly what nlohmann's dump(-1, ' ', false, error_handler_t::replace)
// writes — keys in the same order, invalid UTF-8 replaced the same way — but
// strings that need no escaping (the common case, Arabic included) are
// checked and copied in one pass instead of being decoded code point by code
// point. Rendering a payment's response was 7 % of an HTTP transfer's
// instructions with nlohmann's serializer.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lahza::http {

std::string JsonText(const nlohmann::json& value);

// For a response rendered on every request (a payment's): members are written
// straight into the text, so no tree of maps and strings is built, copied and
// freed. Strings are written exactly as JsonText writes them. Each value
// (String, Int, Value, a Begin...End pair) follows a Key inside an object.
class JsonTextWriter {
 public:
  JsonTextWriter() : out_(4096, '\0') {}  // a transaction's text: ≈ 2.5 KiB

  JsonTextWriter& BeginObject() { return Open(false); }
  JsonTextWriter& EndObject() { return Close(false); }
  JsonTextWriter& BeginArray() { return Open(true); }
  JsonTextWriter& EndArray() { return Close(true); }
  JsonTextWriter& Key(std::string_view name);
  JsonTextWriter& String(std::string_view value);
  JsonTextWriter& Int(int64_t value);
  JsonTextWriter& Null();
  JsonTextWriter& Value(const nlohmann::json& value);  // any value, as JsonText writes it
  // The text; every object and array must have been closed.
  std::string Take();

 private:
  JsonTextWriter& Open(bool array);
  JsonTextWriter& Close(bool array);
  void BeforeValue();
  // The text is written into out_'s own bytes, past the used_ ones, in one
  // piece per member: growing a string a character or a piece at a time
  // cost more than checking what was written.
  char* Room(size_t n);  // at least n bytes to write into at the end
  void Put(char c);
  void PutString(std::string_view s, char before, char after);  // '\0': none
  struct Level {
    bool array;  // else an object
    bool empty;  // nothing written in it yet
  };
  std::string out_;  // its first used_ bytes are the text
  size_t used_ = 0;
  std::vector<Level> open_;
  bool after_key_ = false;
};

}  // namespace lahza::http
