// Care agents and their bearer tokens. An agent works for the app's support
// (no bank) or for one bank; the token is random (libsodium CSPRNG), shown
// once when issued and stored only as a BLAKE2b hash, so a database dump does
// not hand out agent sessions.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "care/cases.h"
#include "core/result.h"
#include "store/store.h"

namespace lahza::care {

class AgentDirectory {
 public:
  // Applies the migrations of module "care_agents".
  static Result<std::unique_ptr<AgentDirectory>> Open(store::Store& store);

  // Creates the agent, or gives an existing one a new token (the old one stops
  // working). `bank_code` empty: app support. Returns the token.
  // Errors: care.agent_invalid (id: 2..64 of [a-z0-9._-]; bank code format).
  Result<std::string> Issue(std::string_view agent_id, std::string_view bank_code);

  // The agent a bearer token belongs to. Error: care.unauthorized.
  Result<Agent> Authenticate(std::string_view token) const;

 private:
  explicit AgentDirectory(store::Store& store) : store_(store) {}
  store::Store& store_;
};

}  // namespace lahza::care
