// Customer care over HTTP: the help centre, triage, channel advice, cases for
// customers (/api/v1/care/...) and for agents (/api/v1/agent/...). See
// docs/care.md for every route and its JSON.
#pragma once

#include <functional>
#include <string>

#include "care/cases.h"
#include "core/cairo_time.h"
#include "http/router.h"

namespace lahza::ipn { class Directory; }

namespace lahza::care {

class AgentDirectory;

// Who is calling, as the app's session says.
struct CustomerIdentity {
  std::string customer_id;
  CustomerSummary summary;
};
// Resolves the caller of a customer route; errors become the HTTP error
// (e.g. app.unauthorized -> 401).
using CustomerAuthenticator = std::function<Result<CustomerIdentity>(const http::Request&)>;

// The app owns sessions; care asks it exactly as the phone would: GET
// `me_path` with the caller's Authorization and X-Device-Id headers,
// dispatched in-process through `router` (which must hold the app's routes).
CustomerAuthenticator AuthenticateThroughApp(const http::Router& router, std::string me_path = "/api/v1/me");

struct CareServices {
  CaseService* cases = nullptr;      // required
  AgentDirectory* agents = nullptr;  // required
  CustomerAuthenticator customer;    // required
  const Clock* clock = nullptr;      // "now" for triage and channel advice; nullptr: the system clock
};

void AddCareRoutes(http::Router& router, CareServices services);

// Care's admin routes (POST /api/v1/admin/agents: issue an agent token). The
// admin token belongs to the app; care asks through `authorize` (lahza serve
// passes the app's check), so care does not depend on the app. Errors of
// `authorize` answer 401 as they are.
using AdminAuthorizer = std::function<Status(const http::Request&)>;
struct CareAdminServices {
  AgentDirectory* agents = nullptr;              // required
  AdminAuthorizer authorize;                     // required
  const ipn::Directory* participants = nullptr;  // required: bank codes are checked against it
};
void AddCareAdminRoutes(http::Router& router, CareAdminServices services);

}  // namespace lahza::care
