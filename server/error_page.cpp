// brigade: HTML error pages.
#include "error_page.hpp"

#include <boost/json.hpp>
#include <string>

namespace brigade::server {
namespace {

std::string_view reason(unsigned status) {
  switch (status) {
    case 400:
      return "Bad request";
    case 401:
      return "Operators only";
    case 403:
      return "Not allowed";
    case 404:
      return "Page not found";
    case 405:
      return "Method not allowed";
    case 409:
      return "Not now";
    case 413:
      return "Too large";
    default:
      return status >= 500 ? "Server error" : "Request refused";
  }
}

void escape(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
}

}  // namespace

bool wants_html(std::string_view accept) {
  return accept.find("text/html") != std::string_view::npos;
}

ApiResponse html_error(const ApiResponse& json_error) {
  std::string message;
  boost::system::error_code ec;
  const auto v = boost::json::parse(json_error.body, ec);
  if (!ec && v.is_object()) {
    if (const auto* m = v.get_object().if_contains("message"); m && m->is_string()) {
      message = m->get_string();
    }
  }
  const std::string status = std::to_string(json_error.status);
  ApiResponse r;
  r.status = json_error.status;
  r.content_type = "text/html; charset=utf-8";
  r.cors = false;
  r.headers = json_error.headers;
  std::string& h = r.body;
  h = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>";
  h.append(status).append(" ").append(reason(json_error.status));
  h += " · Brigade</title><link rel=\"stylesheet\" href=\"/style.css\"><main class=\"error-page\">"
       "<section class=\"card\"><p class=\"step-count\">Error ";
  h.append(status).append("</p><h1>").append(reason(json_error.status)).append("</h1><p>");
  escape(h, message.empty() ? std::string_view("Something went wrong.") : message);
  h += ".</p><p><a href=\"/\">Back to the choir</a> · <a href=\"/recordings/\">Recordings</a>"
       "</p></section></main></html>";
  return r;
}

}  // namespace brigade::server
