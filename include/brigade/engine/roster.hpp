// brigade: the roster: every singer's one record, and the one eviction policy.
//
// Policy: a record lives while its id sends requests. It is dropped kUserLifetimeSamples after
// the id's last request, and at most `capacity` records are kept: a new id beyond it evicts the
// record seen longest ago among those not active (active singers are never evicted; the room
// admits at most max_users of them and capacity is kRecordsPerActiveSinger times that).
// Not thread-safe: the room's lock guards it.
#pragma once

#include <cstddef>
#include <unordered_map>

#include "brigade/engine/singer.hpp"

namespace brigade {

/// A singer counts as present for this long after its last admitted request.
inline constexpr Clock kUserActiveSamples = Clock{5} * kSampleRate;
/// A singer's record is forgotten this long after its last request.
inline constexpr Clock kUserLifetimeSamples = Clock{3600} * kSampleRate;

class Roster {
 public:
  explicit Roster(std::size_t capacity) : capacity_(capacity) {}

  /// A singer in the room (joined), or null.
  Singer* find(UserId id);
  const Singer* find(UserId id) const;
  /// Any record of `id` (joined or not), or null.
  Singer* record(UserId id);

  /// The record that must go before a new id can be added (null while below capacity).
  Singer* eviction_candidate(Clock now);
  /// Adds a record for a new id (call eviction_candidate/erase first: never beyond capacity).
  Singer& add(UserId id);
  void erase(UserId id) { singers_.erase(id); }
  /// Drops the records not seen for kUserLifetimeSamples.
  void expire(Clock now);

  static bool is_active(const Singer& s, Clock now) {
    return s.joined && now - s.last_heard <= kUserActiveSamples;
  }
  int count_active(Clock now) const;
  std::size_t size() const { return singers_.size(); }
  std::size_t capacity() const { return capacity_; }

  template <class F>
  void for_each_active(Clock now, F&& f) {
    for (auto& [id, s] : singers_) {
      if (is_active(s, now)) f(s);
    }
  }
  template <class F>
  void for_each(F&& f) {
    for (auto& [id, s] : singers_) f(s);
  }
  /// Queues `keys` for every active singer: the one room-wide fan-out.
  void queue_for_active(Clock now, const PendingKeys& keys);

 private:
  const std::size_t capacity_;
  std::unordered_map<UserId, Singer> singers_;
};

}  // namespace brigade
