// brigade: errors for a browser. A person who opens a wrong address gets a small HTML page;
// the API keeps answering JSON.
#pragma once

#include <string_view>

#include "api_response.hpp"

namespace brigade::server {

/// True when the Accept header names text/html (what browsers send for a page).
bool wants_html(std::string_view accept);

/// The same error (status, message, headers) as a small HTML page.
ApiResponse html_error(const ApiResponse& json_error);

}  // namespace brigade::server
