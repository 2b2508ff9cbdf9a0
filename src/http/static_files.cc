// GET /healthz and static files from the web/ folder.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "http/server.h"

namespace lahza::http {

namespace {

std::string ContentType(const std::filesystem::path& path) {
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"},  {".htm", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},    {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".json", "application/json; charset=utf-8"},
      {".svg", "image/svg+xml"},              {".png", "image/png"},
      {".jpg", "image/jpeg"},                 {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},                  {".webp", "image/webp"},
      {".ico", "image/x-icon"},               {".woff", "font/woff"},
      {".woff2", "font/woff2"},               {".ttf", "font/ttf"},
      {".txt", "text/plain; charset=utf-8"},  {".map", "application/json; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
  };
  auto it = types.find(path.extension().string());
  return it == types.end() ? "application/octet-stream" : it->second;
}

std::optional<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

void AddHealthRoute(Router& router) {
  router.AddNonBlocking("GET", "/healthz", [](Request&) { return Json({{"status", "ok"}}); });
}

void AddStaticRoutes(Router& router, std::string web_dir) {
  std::error_code ec;
  auto root = std::filesystem::weakly_canonical(std::filesystem::absolute(web_dir, ec), ec);
  router.Add("GET", "/*", [root](Request& request) -> Response {
    const std::string& rest = request.Param("*");
    // API paths never fall through to the single-page app.
    if (rest.starts_with("api/") || rest == "api") return ErrorResponse(404, Error("http.not_found"));
    for (char c : rest) {
      if (c == '\0' || c == '\\') return ErrorResponse(404, Error("http.not_found"));
    }
    std::error_code error;
    std::filesystem::path wanted = std::filesystem::weakly_canonical(root / rest, error);
    // The canonical path (symlinks and ".." resolved) must stay inside root.
    auto [root_end, wanted_it] = std::mismatch(root.begin(), root.end(), wanted.begin(), wanted.end());
    if (error || root_end != root.end()) return ErrorResponse(404, Error("http.not_found"));
    if (std::filesystem::is_directory(wanted, error)) wanted /= "index.html";
    if (!std::filesystem::is_regular_file(wanted, error)) {
      // Client-side routes ("/history") get the app shell; missing assets a 404.
      if (std::filesystem::path(rest).has_extension()) return ErrorResponse(404, Error("http.not_found"));
      wanted = root / "index.html";
    }
    auto content = ReadFile(wanted);
    if (!content) return ErrorResponse(404, Error("http.not_found"));
    Response response;
    response.content_type = ContentType(wanted);
    response.body = std::move(*content);
    response.headers.emplace_back("Cache-Control", "no-cache");
    return response;
  });
}

}  // namespace lahza::http
