// JsonText must write exactly what nlohmann's dump(-1, ' ', false, replace)
// writes, for every value: checked on hand-picked edge cases and on many
// random documents whose strings mix ASCII, Arabic, characters JSON escapes,
// and malformed UTF-8 of every kind.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "http/json_text.h"
#include "http/router.h"

namespace lahza::http {
namespace {

using nlohmann::json;

std::string Reference(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

TEST(JsonTextTest, EdgeCasesMatchNlohmann) {
  const std::vector<json> cases = {
      json(nullptr), json(true), json(false), json(0), json(-1),
      json(std::numeric_limits<int64_t>::min()), json(std::numeric_limits<int64_t>::max()),
      json(std::numeric_limits<uint64_t>::max()), json(0.5), json(-1e300), json(3.0),
      json(""), json("plain"), json("قيد التحويل ٣٠٠ ج.م"), json("quote \" backslash \\ slash /"),
      json("controls \x01\x08\t\n\x0c\r\x1f and DEL \x7f"), json("\xff"), json("\xc0\x80"), json("\xed\xa0\x80"),
      json("\xf4\x90\x80\x80"), json("\xe2\x82"), json("truncated \xd8"), json("\x80 lone continuation"),
      json("ok \xf0\x9f\x98\x80 emoji"), json::array(), json::object(),
      json{{"b", 1}, {"a", {1, 2, "x"}}, {"\xff key", nullptr}, {"nested", {{"z", json::object()}}}},
      json::binary({1, 2, 3}),
  };
  for (const json& value : cases) EXPECT_EQ(JsonText(value), Reference(value)) << Reference(value);
}

std::string RandomText(std::mt19937_64& random) {
  static const std::vector<std::string> pieces = {
      "a", "Z", "9", " ", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f", "\x7f", "ع", "ميزة", "٣", "€", "\xf0\x9f\x92\xb8",
      "\x80", "\xbf", "\xc0", "\xc1\xbf", "\xc2", "\xe0\x80\x80", "\xed\xbf\xbf", "\xf5\x80\x80\x80", "\xf8", "\xff",
      "\xe2\x82", "\xf0\x9f\x92"};
  std::string text;
  const int count = static_cast<int>(random() % 12);
  for (int i = 0; i < count; ++i) text += pieces[random() % pieces.size()];
  return text;
}

json RandomValue(std::mt19937_64& random, int depth) {
  switch (random() % (depth > 3 ? 6 : 8)) {
    case 0: return json(nullptr);
    case 1: return json(random() % 2 == 0);
    case 2: return json(static_cast<int64_t>(random()));
    case 3: return json(static_cast<uint64_t>(random()));
    case 4: return json(static_cast<double>(static_cast<int64_t>(random() % 2'000'001) - 1'000'000) / 64.0);
    case 5: return json(RandomText(random));
    case 6: {
      json array = json::array();
      for (int i = static_cast<int>(random() % 5); i > 0; --i) array.push_back(RandomValue(random, depth + 1));
      return array;
    }
    default: {
      json object = json::object();
      for (int i = static_cast<int>(random() % 5); i > 0; --i) object[RandomText(random)] = RandomValue(random, depth + 1);
      return object;
    }
  }
}

// Plain ASCII is checked 8 bytes at a time: a byte that needs a look of its
// own must be found wherever it falls in such a run, and the bytes next to the
// ones that do (space 0x20, '!' 0x21, '#' 0x23, '[' 0x5B, ']' 0x5D, DEL 0x7F)
// must not be taken for them.
TEST(JsonTextTest, EveryByteIsSeenAtEveryOffsetOfARun) {
  const std::vector<std::string> odd = {"\"", "\\", std::string(1, '\0'), "\x01", "\x1f", "\n", " ", "!", "#", "[",
                                        "]", "\x7f", "\xd8\xa7", "\xff", "\xc0\x80", "\x80", "\xe2\x82"};
  for (const std::string& piece : odd) {
    for (size_t at = 0; at <= 24; ++at) {
      std::string text(24, 'a');
      text.insert(at, piece);
      SCOPED_TRACE("offset " + std::to_string(at) + " piece " + json(piece).dump(-1, ' ', true, json::error_handler_t::replace));
      EXPECT_EQ(JsonText(json(text)), Reference(json(text)));
    }
  }
}

// Runs of 2-byte sequences (Arabic) are checked 8 bytes at a time too: the
// same odd bytes, at every offset of such a run, and the leads next to the
// ones that are not allowed (0xC2 beside 0xC0/0xC1, 0xDF beside 0xE0).
TEST(JsonTextTest, EveryByteIsSeenAtEveryOffsetOfAnArabicRun) {
  const std::vector<std::string> odd = {"\"", "\\", std::string(1, '\0'), "\x01", "\n", " ", "a", "\x7f",
                                        "\xff", "\xc0\x80", "\xc1\xbf", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80",
                                        "\x80", "\xd8", "\xd8\xd8", "\xd8\xc0", "\xe2\x82", "\xf0\x9f\x92\xb8"};
  const std::string letter = "\xd8\xb9";  // ع
  for (const std::string& piece : odd) {
    for (size_t letters_before = 0; letters_before <= 12; ++letters_before) {
      for (size_t shift = 0; shift <= 1; ++shift) {
        std::string text = std::string(shift, 'x');
        for (size_t k = 0; k < letters_before; ++k) text += letter;
        text += piece;
        for (size_t k = 0; k < 12; ++k) text += letter;
        SCOPED_TRACE("after " + std::to_string(letters_before) + " letters, shift " + std::to_string(shift) +
                     ", piece " + json(piece).dump(-1, ' ', true, json::error_handler_t::replace));
        EXPECT_EQ(JsonText(json(text)), Reference(json(text)));
      }
    }
  }
}

// Arabic words with the spaces, digits and punctuation between them are
// checked 8 bytes at a time as well, wherever the characters fall in a block
// (a block may stop short of a character's last byte): every byte value at
// every offset of such text, and every pair of byte values at once (each
// mask of the check, and the lead that ends a block, is seen).
TEST(JsonTextTest, EveryByteIsSeenInArabicWordsWithSpacesAndDigits) {
  const std::string words = "\xd8\xb9 \xd9\x84\xd9\x8a 3 \xd9\xa3.\xd8\xac";  // "ع لي 3 ٣.ج"
  const std::string text = words + words;
  for (size_t at = 0; at <= text.size(); ++at) {
    for (int b = 0; b < 256; ++b) {
      std::string changed = text;
      changed.insert(at, 1, static_cast<char>(b));
      ASSERT_EQ(JsonText(json(changed)), Reference(json(changed))) << "byte " << b << " at " << at;
    }
  }
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (size_t at : {size_t{3}, size_t{6}}) {
        std::string changed = text;
        changed.insert(at, {static_cast<char>(a), static_cast<char>(b)});
        ASSERT_EQ(JsonText(json(changed)), Reference(json(changed))) << "bytes " << a << " " << b << " at " << at;
      }
    }
  }
}

// Strings are checked 16 bytes at a time, a short one (most keys and codes)
// in one padded block and a long one's last bytes in a block that overlaps
// the ones before: every length up to three blocks, cut anywhere (a
// character cut short at the end included), each with every byte value
// after it.
TEST(JsonTextTest, EveryLengthAndEveryLastByteIsSeen) {
  const std::string words = "\xd8\xb9 \xd9\x84\xd9\x8a 3 \xd9\xa3.\xd8\xac";  // "ع لي 3 ٣.ج"
  const std::string text = words + "abc" + words + words;
  for (size_t length = 0; length <= 50; ++length) {
    for (size_t shift = 0; shift <= 1; ++shift) {
      const std::string cut = text.substr(shift, length);
      ASSERT_EQ(JsonText(json(cut)), Reference(json(cut))) << "length " << length;
      for (int b = 0; b < 256; ++b) {
        const std::string changed = cut + static_cast<char>(b);
        ASSERT_EQ(JsonText(json(changed)), Reference(json(changed))) << "length " << length << " then " << b;
      }
    }
  }
}

TEST(JsonTextTest, RandomDocumentsMatchNlohmann) {
  std::mt19937_64 random(20261126);
  for (int i = 0; i < 20'000; ++i) {
    json value = RandomValue(random, 0);
    ASSERT_EQ(JsonText(value), Reference(value)) << "document " << i;
  }
}

// The streaming writer gives the text of the value it describes: commas
// between members and elements at every depth, empty containers, every kind
// of value, strings escaped as JsonText escapes them.
TEST(JsonTextTest, WriterWritesWhatTheValuePrints) {
  JsonTextWriter writer;
  writer.BeginObject();
  writer.Key("a").Int(std::numeric_limits<int64_t>::min());
  writer.Key("b").BeginArray().Int(1).String("ج.م \"quoted\"\n").Null().BeginObject().EndObject().BeginArray().EndArray();
  writer.BeginObject().Key("x").String("\xff").Key("y").Value(json{{"k", {1, 2}}, {"f", 0.25}}).EndObject();
  writer.EndArray();
  writer.Key("c").BeginObject().EndObject();
  writer.Key("d").Value(json::array());
  writer.EndObject();
  const json expected{{"a", std::numeric_limits<int64_t>::min()},
                      {"b", {1, "ج.م \"quoted\"\n", nullptr, json::object(), json::array(),
                             {{"x", "\xff"}, {"y", {{"k", {1, 2}}, {"f", 0.25}}}}}},
                      {"c", json::object()},
                      {"d", json::array()}};
  EXPECT_EQ(writer.Take(), Reference(expected));

  JsonTextWriter array;
  array.BeginArray().String("").Int(0).EndArray();
  EXPECT_EQ(array.Take(), "[\"\",0]");
}

TEST(JsonTextTest, ResponsesUseIt) {
  json body{{"name", "\xff"}, {"amount", 100}};
  EXPECT_EQ(Json(body, 201).body, Reference(body));
  EXPECT_EQ(Json(body, 201).status, 201);
  Response rendered = JsonTextResponse("{\"a\":1}", 202);
  EXPECT_EQ(rendered.status, 202);
  EXPECT_EQ(rendered.body, "{\"a\":1}");
  EXPECT_EQ(rendered.content_type, Json(body).content_type);
}

}  // namespace
}  // namespace lahza::http
