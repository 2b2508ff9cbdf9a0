// The text of a JSON value for a response body.
//
// Exactly what nlohmann's dump(-1, ' ', false, error_handler_t::replace)
// writes — keys in the same order, invalid UTF-8 replaced the same way — but
// strings that need no escaping (the common case, Arabic included) are
// checked and copied in one pass instead of being decoded code point by code
// point. Rendering a payment's response was 7 % of an HTTP transfer's
// instructions with nlohmann's serializer.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace lahza::http {

std::string JsonText(const nlohmann::json& value);

}  // namespace lahza::http
