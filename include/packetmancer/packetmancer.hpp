// Umbrella header: the engine, the built-in detectors, the libpcap reader and the
// report writers. Include narrower headers to avoid libpcap or fmt.
#pragma once

#include "packetmancer/capture_summary.hpp"
#include "packetmancer/detector.hpp"
#include "packetmancer/detectors/dns_health.hpp"
#include "packetmancer/detectors/tcp_health.hpp"
#include "packetmancer/diagnosis/render.hpp"
#include "packetmancer/engine.hpp"
#include "packetmancer/events.hpp"
#include "packetmancer/io/capture_reader.hpp"
#include "packetmancer/packet.hpp"
#include "packetmancer/read_capture.hpp"
#include "packetmancer/report/json_report.hpp"
#include "packetmancer/report/report_file.hpp"
#include "packetmancer/report/tcp_health_json.hpp"
#include "packetmancer/report/terminal_text.hpp"
#include "packetmancer/report/text_report.hpp"
#include "packetmancer/sharded_engine.hpp"
#include "packetmancer/version.hpp"
