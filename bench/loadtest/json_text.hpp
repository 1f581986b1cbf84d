// brigade-loadtest: JSON text for the --json report. Numbers print as people write them
// (600, 2.4, 0.001) rather than Boost.JSON's 6E2 / 2.4E0: std::to_chars' shortest form that
// reads back to the same double, without an exponent for ordinary magnitudes.
#pragma once

#include <string>

#include <boost/json/value.hpp>

namespace brigade::loadtest {

std::string to_json_text(const boost::json::value& v);

}  // namespace brigade::loadtest
