// Arabic-aware text normalisation shared by the help centre search and triage.
// People write the same word many ways (أ/إ/آ/ا, ة/ه, ى/ي, with or without
// tashkeel, stretched with tatweel, digits as ٠١٢ or 012); matching must not
// depend on which way they chose. All functions accept any bytes: invalid
// UTF-8 never crashes and never leaks through (see each function).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lahza::care {

// Valid UTF-8: every invalid sequence (bad lead byte, truncated sequence,
// overlong form, surrogate, > U+10FFFF) replaced by U+FFFD. Nothing else changes.
std::string SanitiseUtf8(std::string_view text);

// The matching form of `text`:
//  - alef forms أ إ آ ٱ → ا; ta marbuta ة → ه; alef maqsura ى → ي;
//    hamza carriers ؤ → و, ئ → ي; Persian ی → ي, ک → ك;
//  - tashkeel/diacritics (U+064B–U+065F, U+0670, Quranic marks) and tatweel
//    (U+0640) removed; zero-width and bidi marks removed;
//  - Arabic-Indic ٠–٩ and Persian ۰–۹ digits → 0–9;
//  - Latin A–Z lowercased;
//  - punctuation folded to ASCII: ، → ,  ؛ → ;  ؟ → ?  ٪ → %  ٫ → .  ٬ → ,
//    typographic quotes → " or ', dashes → -, « » → ";
//  - every whitespace run (including NBSP) → one ASCII space, trimmed;
//  - invalid UTF-8 → a space (a separator, never U+FFFD in the output).
// Punctuation is kept (folded, not removed) so callers can still see
// "name@instapay", "70,000" or "IR123"; use Words() to split for matching.
std::string NormaliseText(std::string_view text);

// The words of `text` after NormaliseText: maximal runs of letters (Arabic or
// any other script) and ASCII digits; everything else separates. Digits stay
// inside words so Franco-Arabic ("7wala", "ta7weel") survives.
std::vector<std::string> Words(std::string_view text);

// True when `text` contains at least one Arabic letter (U+0621–U+064A,
// U+0671–U+06D3 and the Persian letters).
bool HasArabic(std::string_view text);

}  // namespace lahza::care
