// Internals of the case service shared by its .cc files; not a public API.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "care/cases.h"

namespace lahza::care::internal {

// A new "C-#########X" id (X: Luhn check digit) from a CSPRNG-seeded source.
std::string NewCaseId();
// "A-" + 16 hex characters.
std::string NewAttachmentId();

// The default priority of a category (its party: ResponsibleParty, triage.h).
Priority DefaultPriority(Category category);

// "app" or "bank:<code>": bank cases go to their bank's queue when the bank is
// known; otherwise (and for app support) to the app's queue, whose agents
// escalate once the bank is known.
std::string QueueFor(Party party, std::string_view bank_code);

// Required information that a case still lacks (item codes, see
// care.case_item.* in the catalogue), given what it holds. `will_diagnose`: an IR
// reference is present and a diagnoser will tell the bank from it.
std::vector<std::string> MissingItems(const Case& c, bool will_diagnose);
// Recommended (not required) items: "screenshot" for problems a picture helps.
std::vector<std::string> RecommendedItems(const Case& c, int attachment_count);
// Whether `item` is in the vocabulary agents may ask for.
bool IsKnownItem(std::string_view item);

// Attachments: the media type by magic bytes, or an error
// (care.attachment_type, care.attachment_too_large, care.attachment_empty).
Result<std::string> SniffImage(std::string_view bytes, int64_t max_bytes);

std::string Base64Encode(std::string_view bytes);
// Error care.attachment_corrupt on anything that is not canonical base64.
Result<std::string> Base64Decode(std::string_view text);

// "a,b,c" <-> {"a","b","c"} (item codes never contain commas).
std::string JoinItems(const std::vector<std::string>& items);
std::vector<std::string> SplitItems(std::string_view text);

// Trims ASCII and Unicode-agnostic whitespace at both ends.
std::string Trim(std::string_view text);

// A participant code as the switch uses them: 2..12 of [A-Z0-9_].
bool IsParticipantCode(std::string_view code);

}  // namespace lahza::care::internal
