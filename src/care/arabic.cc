#include "care/arabic.h"

#include "core/utf8.h"

#include <cstdint>

namespace lahza::care {

namespace {

constexpr char32_t kInvalid = kInvalidCodePoint;

bool IsDiacritic(char32_t cp) {
  return (cp >= 0x064B && cp <= 0x065F) || cp == 0x0670 || (cp >= 0x06D6 && cp <= 0x06DC) ||
         (cp >= 0x06DF && cp <= 0x06E4) || cp == 0x06E7 || cp == 0x06E8 || (cp >= 0x06EA && cp <= 0x06ED) ||
         (cp >= 0x0610 && cp <= 0x061A);
}

// Invisible characters that copy-paste from chat apps brings along.
bool IsInvisible(char32_t cp) {
  return cp == 0x0640 /* tatweel */ || cp == 0x200B || cp == 0x200C || cp == 0x200D || cp == 0x200E ||
         cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF ||
         cp == 0x061C || cp == 0x00AD;
}

bool IsSpace(char32_t cp) {
  return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f' || cp == 0x00A0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000 || cp == 0x85;
}

// The folded form of one code point; 0 means "drop it".
char32_t Fold(char32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp - 'A' + 'a';
  if (cp >= 0x0660 && cp <= 0x0669) return cp - 0x0660 + '0';
  if (cp >= 0x06F0 && cp <= 0x06F9) return cp - 0x06F0 + '0';
  if (IsDiacritic(cp) || IsInvisible(cp)) return 0;
  switch (cp) {
    case 0x0623: case 0x0625: case 0x0622: case 0x0671: case 0x0672: case 0x0673:
      return 0x0627;  // alef forms → bare alef
    case 0x0629: return 0x0647;  // ta marbuta → ha
    case 0x0649: return 0x064A;  // alef maqsura → ya
    case 0x06CC: return 0x064A;  // Persian yeh
    case 0x0626: return 0x064A;  // ya with hamza
    case 0x0624: return 0x0648;  // waw with hamza
    case 0x06A9: return 0x0643;  // Persian kaf
    case 0x060C: return ',';     // Arabic comma
    case 0x061B: return ';';
    case 0x061F: return '?';
    case 0x066A: return '%';
    case 0x066B: return '.';     // Arabic decimal separator
    case 0x066C: return ',';     // Arabic thousands separator
    case 0x06D4: return '.';     // Arabic full stop
    case 0x00AB: case 0x00BB: case 0x201C: case 0x201D: case 0x201E: case 0x201F: case 0x2033:
      return '"';
    case 0x2018: case 0x2019: case 0x201A: case 0x201B: case 0x2032: case 0x00B4: case 0x0060:
      return '\'';
    case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014: case 0x2015: case 0x2212:
      return '-';
    case 0x2026: return '.';
    case 0xFF20: return '@';
    default: return cp;
  }
}

bool IsArabicLetter(char32_t cp) {
  return (cp >= 0x0621 && cp <= 0x063A) || (cp >= 0x0641 && cp <= 0x064A) || (cp >= 0x0671 && cp <= 0x06D3) ||
         cp == 0x06CC || cp == 0x06A9;
}

// A letter for word splitting: ASCII letters, Arabic letters, and other
// alphabetic scripts roughly (Latin-1 letters and above, minus punctuation
// blocks). Precision here matters only for Arabic and ASCII.
bool IsWordChar(char32_t cp) {
  if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) return true;
  if (cp < 0x80) return false;
  if (IsArabicLetter(cp)) return true;
  if (cp >= 0x0600 && cp <= 0x06FF) return false;  // Arabic punctuation and signs left over
  if (cp >= 0x2000 && cp <= 0x2BFF) return false;  // general punctuation, symbols, arrows
  if (cp >= 0xE000 && cp <= 0xF8FF) return false;  // private use
  if (cp == 0xFFFD) return false;
  if (cp >= 0x1F000) return false;  // emoji and pictographs
  if (cp >= 0x00C0 && cp <= 0x024F && cp != 0x00D7 && cp != 0x00F7) return true;
  return cp >= 0x0370;
}

}  // namespace

std::string SanitiseUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t at = 0; at < text.size();) {
    char32_t cp = DecodeUtf8(text, at);
    AppendUtf8(out, cp == kInvalid ? 0xFFFD : cp);
  }
  return out;
}

std::string NormaliseText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (size_t at = 0; at < text.size();) {
    char32_t cp = DecodeUtf8(text, at);
    if (cp == kInvalid || IsSpace(cp) || cp < 0x20 || cp == 0x7F) {
      pending_space = !out.empty();
      continue;
    }
    cp = Fold(cp);
    if (cp == 0) continue;
    if (pending_space) out.push_back(' ');
    pending_space = false;
    AppendUtf8(out, cp);
  }
  return out;
}

std::vector<std::string> Words(std::string_view text) {
  std::string normal = NormaliseText(text);
  std::vector<std::string> words;
  std::string current;
  for (size_t at = 0; at < normal.size();) {
    size_t start = at;
    char32_t cp = DecodeUtf8(normal, at);
    if (IsWordChar(cp)) {
      current.append(normal, start, at - start);
    } else if (!current.empty()) {
      words.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

bool HasArabic(std::string_view text) {
  for (size_t at = 0; at < text.size();) {
    if (IsArabicLetter(DecodeUtf8(text, at))) return true;
  }
  return false;
}

}  // namespace lahza::care
