// brigade fuzzing: the query parser.
#include <string>
#include <string_view>

#include "fuzz_target.hpp"
#include "query.hpp"

namespace brigade::fuzz {

Outcome query_input(Input data) {
  const std::string_view raw(reinterpret_cast<const char*>(data.data()), data.size());
  thread_local server::Query query;
  if (auto error = query.parse(raw)) {
    BRIGADE_FUZZ_CHECK(!error->message.empty() && error->status == 400);
    return Outcome::kRefused;
  }
  BRIGADE_FUZZ_CHECK(query.size() <= server::kMaxQueryParams);
  BRIGADE_FUZZ_CHECK(raw.empty() == (query.size() == 0));
  // Walk the input's fields independently: each key maps to its decoded value.
  std::size_t fields = 0;
  for (std::size_t pos = 0; !raw.empty() && pos <= raw.size(); ++fields) {
    const std::size_t amp = std::min(raw.find('&', pos), raw.size());
    const std::string_view field = raw.substr(pos, amp - pos);
    const std::size_t eq = field.find('=');
    BRIGADE_FUZZ_CHECK(!field.empty() && eq != std::string_view::npos);
    std::string key, value;
    BRIGADE_FUZZ_CHECK(server::form_decode(field.substr(0, eq), key));
    BRIGADE_FUZZ_CHECK(server::form_decode(field.substr(eq + 1), value));
    const auto got = query.get(key);
    BRIGADE_FUZZ_CHECK(got.has_value() == !value.empty());
    BRIGADE_FUZZ_CHECK(!got || *got == value);
    pos = amp + 1;
  }
  BRIGADE_FUZZ_CHECK(fields == query.size());
  return Outcome::kAccepted;
}

}  // namespace brigade::fuzz
