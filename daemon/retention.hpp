#pragma once
// The retention purge's timer: residents' comments older than daemon.retention_days lose their text,
// author and link (Store::redact_expired says what else goes, and what is kept because something
// still waits on it). UK GDPR's storage limitation: the council keeps residents' words as long as it
// needs them to moderate and to answer for its replies, not for as long as the daemon runs.
//
//   shortly after start, then hourly: store: redact_expired(now - retention_days), 500 at a time
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>

#include "daemon/metrics.hpp"
#include "daemon/runtime.hpp"
#include "store/store_writer.hpp"

namespace moderatord::daemon {

// The cutoff (unix ms) for `retention_days` at `now_ms`, none when the days are 0 (keep for ever). Pure.
std::optional<std::int64_t> retention_cutoff(std::int64_t now_ms, int retention_days);

// Runs until the event loop stops.
boost::asio::awaitable<void> run_retention(store::StoreWriter& writer, const RuntimeHolder& runtime, Metrics& metrics);

}  // namespace moderatord::daemon
