// The one place where findings get their words: for each finding id, its JSON id, the
// Wireshark display filter that shows its frames, and the one-sentence explanation in
// every language PacketMancer speaks. Sentences are fmt templates over the finding's
// numbers (by name) and the endpoints: {client}, {server}, {sender}, {receiver}.
// Adding a language means adding one column here and one `Language` value.
#pragma once

#include "packetmancer/diagnosis/finding.hpp"

#include <array>
#include <cstdlib>
#include <optional>
#include <string_view>

namespace packetmancer::diagnosis {

enum class Language : std::uint8_t { en, es };

[[nodiscard]] constexpr std::optional<Language> parse_language(std::string_view text) noexcept {
    if (text == "en") return Language::en;
    if (text == "es") return Language::es;
    return std::nullopt;
}

// The language of a POSIX locale name ("es_ES.UTF-8", "es", "C", "en_GB"): Spanish for
// any "es" locale, English for everything else.
[[nodiscard]] constexpr Language language_of_locale(std::string_view locale) noexcept {
    if (locale.size() >= 2 && locale.substr(0, 2) == "es" && (locale.size() == 2 || locale[2] == '_' || locale[2] == '.' || locale[2] == '@'))
        return Language::es;
    return Language::en;
}

// As POSIX orders them for messages: LC_ALL, then LC_MESSAGES, then LANG; the first
// one set and non-empty decides.
[[nodiscard]] inline Language language_from_environment() noexcept {
    for (const char* name : {"LC_ALL", "LC_MESSAGES", "LANG"}) {
        const char* value = std::getenv(name);
        if (value && *value) return language_of_locale(value);
    }
    return Language::en;
}

struct CatalogueEntry {
    FindingId id;
    std::string_view key;     // the stable JSON id
    std::string_view filter;  // display filter terms after "tcp.stream eq N" (and the sender's port)
    bool filter_by_sender;    // add "tcp.srcport eq <sender port>" for directional findings
    std::array<std::string_view, 2> text;  // indexed by Language
};

inline constexpr std::array<CatalogueEntry, finding_id_count> catalogue{{
    {FindingId::handshake_refused, "tcp.handshake.refused", "tcp.flags.syn == 1 || tcp.flags.reset == 1", false,
     {"{server} answered the connection attempt from {client} with a reset ({resets:.0f} RST to {syns:.0f} SYN): "
      "nothing listens on that port, or a firewall rejects the connection.",
      "{server} respondió al intento de conexión de {client} con un reset ({resets:.0f} RST a {syns:.0f} SYN): "
      "nada escucha en ese puerto, o un cortafuegos rechaza la conexión."}},
    {FindingId::handshake_no_answer, "tcp.handshake.no_answer", "tcp.flags.syn == 1", false,
     {"{server} did not answer {syns:.0f} SYN from {client} in {waited_ms:.0f} ms: the server is down or "
      "unreachable, or a firewall on the path drops the SYN.",
      "{server} no respondió a {syns:.0f} SYN de {client} en {waited_ms:.0f} ms: el servidor está caído o "
      "inalcanzable, o un cortafuegos en el camino descarta el SYN."}},
    {FindingId::handshake_abandoned, "tcp.handshake.abandoned", "tcp.flags.syn == 1 || tcp.flags.reset == 1", false,
     {"{client} gave up with a reset after {waited_ms:.0f} ms without an answer from {server} to {syns:.0f} SYN: "
      "the server did not answer in time.",
      "{client} desistió con un reset tras {waited_ms:.0f} ms sin respuesta de {server} a {syns:.0f} SYN: "
      "el servidor no respondió a tiempo."}},
    {FindingId::reset_by_server, "tcp.reset.by_server", "tcp.flags.reset == 1", false,
     {"{server} reset the established connection after {payload_bytes:.0f} bytes of data: the server application "
      "aborted it (crash, overload, timeout) or a middlebox reset it.",
      "{server} reinició (reset) la conexión establecida tras {payload_bytes:.0f} bytes de datos: la aplicación "
      "del servidor la abortó (fallo, sobrecarga, tiempo agotado) o un equipo intermedio la reinició."}},
    {FindingId::reset_by_client, "tcp.reset.by_client", "tcp.flags.reset == 1", false,
     {"{client} reset the connection after {payload_bytes:.0f} bytes of data: the client application aborted it "
      "(often harmless: a closed tab, a cancelled or timed-out request).",
      "{client} reinició (reset) la conexión tras {payload_bytes:.0f} bytes de datos: la aplicación cliente la "
      "abortó (a menudo inocuo: una pestaña cerrada, una petición cancelada o agotada)."}},
    {FindingId::half_open, "tcp.connection.half_open", "tcp.flags.syn == 1 || tcp.flags.fin == 1", false,
     {"Only one side's handshake and FIN were seen between {client} and {server}: one side restarted and forgot "
      "the connection, or the other direction was not captured.",
      "Solo se vieron el handshake y el FIN de un lado entre {client} y {server}: un lado se reinició y olvidó la "
      "conexión, o la otra dirección no se capturó."}},
    {FindingId::loss_retransmissions, "tcp.loss.retransmissions",
     "tcp.analysis.retransmission || tcp.analysis.lost_segment", true,
     {"{sender} retransmitted {retransmissions:.0f} of {packets:.0f} segments ({rate_percent:.1f}%: "
      "{fast_retransmissions:.0f} fast, after duplicate ACKs or SACK; {timeouts:.0f} after timeouts; "
      "{unclassified:.0f} unclassified; {rto_wait_ms:.0f} ms spent waiting for timeouts) and left {gaps:.0f} "
      "gaps in the capture: segments are lost on the path from {sender} to {receiver}.",
      "{sender} retransmitió {retransmissions:.0f} de {packets:.0f} segmentos ({rate_percent:.1f}%: "
      "{fast_retransmissions:.0f} rápidas, tras ACK duplicados o SACK; {timeouts:.0f} tras expirar el "
      "temporizador; {unclassified:.0f} sin clasificar; {rto_wait_ms:.0f} ms de espera por temporizadores) y dejó "
      "{gaps:.0f} huecos en la captura: se pierden segmentos en el camino de {sender} a {receiver}."}},
    {FindingId::loss_spurious, "tcp.loss.spurious_retransmissions", "tcp.analysis.spurious_retransmission", true,
     {"{sender} retransmitted {spurious:.0f} segments that {receiver} had already acknowledged: the sender's "
      "retransmission timer is too short for this path, or ACKs are lost on the way back.",
      "{sender} retransmitió {spurious:.0f} segmentos que {receiver} ya había confirmado: el temporizador de "
      "retransmisión del emisor es demasiado corto para este camino, o se pierden ACK a la vuelta."}},
    {FindingId::duplicate_acks, "tcp.loss.duplicate_acks", "tcp.analysis.duplicate_ack", true,
     {"{sender} sent {duplicate_acks:.0f} duplicate ACKs ({runs:.0f} runs of three or more): it was missing data "
      "from {receiver}, lost or reordered on the path.",
      "{sender} envió {duplicate_acks:.0f} ACK duplicados ({runs:.0f} rachas de tres o más): le faltaban datos de "
      "{receiver}, perdidos o desordenados en el camino."}},
    {FindingId::reordering, "tcp.path.reordering", "tcp.analysis.out_of_order", true,
     {"{out_of_order:.0f} segments from {sender} arrived out of order ({rate_percent:.1f}%): the path reorders "
      "packets (parallel links, load balancing) or the capture point sees them in a different order.",
      "{out_of_order:.0f} segmentos de {sender} llegaron desordenados ({rate_percent:.1f}%): el camino reordena "
      "paquetes (enlaces paralelos, balanceo de carga) o el punto de captura los ve en otro orden."}},
    {FindingId::receiver_zero_window, "tcp.receiver.zero_window", "tcp.analysis.zero_window", true,
     {"{sender} advertised a zero window ({zero_windows:.0f} frames) and kept it closed for {closed_ms:.0f} ms: "
      "its application does not read data as fast as {receiver} sends it.",
      "{sender} anunció una ventana cero ({zero_windows:.0f} tramas) y la mantuvo cerrada {closed_ms:.0f} ms: su "
      "aplicación no lee los datos tan rápido como {receiver} los envía."}},
    {FindingId::receiver_window_full, "tcp.receiver.window_full", "tcp.analysis.window_full", true,
     {"{sender} filled the receive window of {receiver} {window_full:.0f} times: the transfer is limited by the "
      "receiver's buffer, not by the network.",
      "{sender} llenó la ventana de recepción de {receiver} {window_full:.0f} veces: la transferencia está "
      "limitada por el búfer del receptor, no por la red."}},
    {FindingId::latency_handshake, "tcp.latency.handshake", "tcp.flags.syn == 1", false,
     {"The handshake between {client} and {server} took {handshake_ms:.1f} ms: the path is long or congested, and "
      "every request pays at least this round trip.",
      "El handshake entre {client} y {server} tardó {handshake_ms:.1f} ms: el camino es largo o está congestionado, "
      "y cada petición paga al menos este viaje de ida y vuelta."}},
    {FindingId::latency_server, "tcp.latency.server_response", "tcp.len > 0", false,
     {"{server} needed {server_ms:.0f} ms beyond the network round trip ({rtt_ms:.3f} ms) to answer a request "
      "(responses over {requests:.0f} requests: median {median_ms:.0f} ms, slowest {response_ms:.0f} ms): the "
      "delay is in the server.",
      "{server} necesitó {server_ms:.0f} ms además del viaje de ida y vuelta ({rtt_ms:.3f} ms) para responder a "
      "una petición (respuestas en {requests:.0f} peticiones: mediana {median_ms:.0f} ms, la más lenta "
      "{response_ms:.0f} ms): el retraso está en el servidor."}},
    {FindingId::latency_client, "tcp.latency.client_delay", "tcp.len > 0", true,
     {"{client} waited {delay_ms:.0f} ms after the handshake before sending its first request: the delay is in "
      "the client (application, name lookup or user), not in the network or the server.",
      "{client} esperó {delay_ms:.0f} ms tras el handshake antes de enviar su primera petición: el retraso está en "
      "el cliente (aplicación, resolución de nombres o usuario), no en la red ni en el servidor."}},
    {FindingId::capture_drops, "capture.drops", "tcp.analysis.ack_lost_segment || tcp.analysis.lost_segment", false,
     {"{receiver} acknowledged data from {sender} that the capture never saw ({acked_unseen:.0f} ACKs for unseen "
      "data, {lost_segments:.0f} gaps, never retransmitted): the capture dropped packets, not the network.",
      "{receiver} confirmó datos de {sender} que la captura nunca vio ({acked_unseen:.0f} ACK de datos no vistos, "
      "{lost_segments:.0f} huecos, nunca retransmitidos): la captura perdió paquetes, no la red."}},
    {FindingId::capture_duplicates, "capture.duplicates", "", true,
     {"{duplicates:.0f} frames from {sender} appear twice, identical down to the IP identification or TCP "
      "timestamp: the capture duplicated them (a SPAN port or two capture points); they are not retransmissions "
      "or duplicate ACKs.",
      "{duplicates:.0f} tramas de {sender} aparecen dos veces, idénticas hasta en la identificación IP o la marca "
      "de tiempo TCP: la captura las duplicó (un puerto SPAN o dos puntos de captura); no son retransmisiones ni "
      "ACK duplicados."}},
    {FindingId::capture_one_sided, "capture.one_sided", "", false,
     {"Only packets from {sender} were captured, although {receiver} evidently answered: asymmetric routing or a "
      "one-way capture; loss and RTT figures for this conversation are incomplete.",
      "Solo se capturaron paquetes de {sender}, aunque {receiver} evidentemente respondió: enrutamiento asimétrico "
      "o captura en un solo sentido; las cifras de pérdida y RTT de esta conversación están incompletas."}},
    {FindingId::capture_snaplen, "capture.snaplen", "frame.cap_len < frame.len", false,
     {"{truncated_frames:.0f} frames were cut short by the capture's snapshot length: TCP analysis is unaffected "
      "(it uses the IP length), but their payload cannot be inspected.",
      "{truncated_frames:.0f} tramas se recortaron por la longitud de captura (snaplen): el análisis TCP no se ve "
      "afectado (usa la longitud IP), pero su contenido no se puede inspeccionar."}},
    {FindingId::capture_super_segments, "capture.super_segments", "tcp.len > {mss:.0f}", true,
     {"{sender} sent {super_segments:.0f} segments larger than its MSS of {mss:.0f} bytes (up to {largest:.0f}): "
      "the capture was taken on a host using segmentation offload (TSO/GRO), so it shows what the stack handed "
      "to the card, not what crossed the wire.",
      "{sender} envió {super_segments:.0f} segmentos mayores que su MSS de {mss:.0f} bytes (hasta {largest:.0f}): "
      "la captura se tomó en un equipo con descarga de segmentación (TSO/GRO), así que muestra lo que la pila "
      "entregó a la tarjeta, no lo que cruzó el cable."}},
    {FindingId::capture_time_backwards, "capture.time_backwards", "tcp.time_delta < 0", false,
     {"{frames:.0f} frames have a timestamp earlier than the frame before them: the capture merged several "
      "sources or its clock stepped back; time-based figures for this conversation are unreliable.",
      "{frames:.0f} tramas tienen una marca de tiempo anterior a la de la trama previa: la captura mezcló varias "
      "fuentes o su reloj retrocedió; las cifras basadas en tiempos de esta conversación no son fiables."}},
    {FindingId::capture_started_before, "capture.started_before", "", false,
     {"The capture began after this conversation had started: its handshake, and whatever happened before, are "
      "not in the file.",
      "La captura empezó cuando esta conversación ya había comenzado: su handshake, y lo ocurrido antes, no están "
      "en el fichero."}},
    {FindingId::connection_lost, "tcp.connection.lost", "tcp.analysis.retransmission", true,
     {"{sender} retransmitted {retransmissions:.0f} times over {waited_ms:.0f} ms at the end of the conversation "
      "and {receiver} never answered again: the peer went away (crash, reboot, cable, a firewall's state timeout) "
      "or the path to it broke.",
      "{sender} retransmitió {retransmissions:.0f} veces durante {waited_ms:.0f} ms al final de la conversación y "
      "{receiver} no volvió a responder: el otro extremo desapareció (caída, reinicio, cable, expiración del estado "
      "de un cortafuegos) o el camino hacia él se rompió."}},
    {FindingId::capture_ended, "capture.ended", "", true,
     {"The capture ended {waited_ms:.0f} ms after {sender} began waiting for an answer from {receiver}: whether one "
      "came later is not in the file, so the silence alone is no proof of a failure.",
      "La captura terminó {waited_ms:.0f} ms después de que {sender} empezara a esperar una respuesta de "
      "{receiver}: si llegó después no consta en el fichero, así que el silencio por sí solo no prueba un fallo."}},
    {FindingId::capture_closed_at_limit, "capture.closed_at_limit", "", false,
     {"This conversation was closed early, {idle_ms:.0f} ms after its last packet, to stay within the limit on live "
      "conversations: what followed is analysed as a new conversation, and a finding that needs its end is uncertain.",
      "Esta conversación se cerró antes de tiempo, {idle_ms:.0f} ms después de su último paquete, para no superar el "
      "límite de conversaciones vivas: lo que siguió se analiza como una conversación nueva, y un hallazgo que "
      "necesite su final es incierto."}},
    {FindingId::capture_continued_after_limit, "capture.continued_after_limit", "", false,
     {"This conversation continues one between the same addresses and ports that was closed early at the limit on "
      "live conversations: its beginning is in that earlier conversation, not before the capture.",
      "Esta conversación continúa otra entre las mismas direcciones y puertos que se cerró antes de tiempo por el "
      "límite de conversaciones vivas: su comienzo está en aquella conversación, no antes de la captura."}},
}};

[[nodiscard]] constexpr const CatalogueEntry& entry(FindingId id) noexcept {
    return catalogue[static_cast<std::size_t>(id)];
}
[[nodiscard]] constexpr std::string_view finding_key(FindingId id) noexcept { return entry(id).key; }

// Every entry sits at its enumerator's index, so `entry()` is a plain lookup.
[[nodiscard]] constexpr bool catalogue_is_in_order() noexcept {
    for (std::size_t i = 0; i < catalogue.size(); ++i)
        if (static_cast<std::size_t>(catalogue[i].id) != i || catalogue[i].key.empty()) return false;
    return true;
}
static_assert(catalogue_is_in_order(), "catalogue entries must follow FindingId's order, one per finding");

// Words of the report around the findings, in each language.
enum class Phrase : std::uint8_t {
    verdict,           // "Verdict"
    no_problem,        // healthy capture headline
    conversations_at,  // "{count} of {total} TCP conversations"
    evidence,          // "evidence: frames"
    filter,            // "filter"
    explained_by,      // "lowered: explained by {id}"
    server_summary,    // "server X: N of M conversations ..."
    host_summary,
    capture_quality,   // "Capture quality"
    towards_clients,
    towards_server,
    confidence_low,  // "confidence low"; then medium and high, in Confidence's order
    confidence_medium,
    confidence_high,
    more_findings,     // "and {count} more findings": the list stopped at its length
    more_servers,
    more_hosts,
    servers_bounded,   // the servers tracked reached their bound
    hosts_bounded,
};

inline constexpr std::array<std::array<std::string_view, 2>, 19> phrases{{
    {"Verdict", "Veredicto"},
    {"no problem found in {total} TCP conversations", "ningún problema en {total} conversaciones TCP"},
    {"{count} of {total} TCP conversations", "{count} de {total} conversaciones TCP"},
    {"evidence: frames", "evidencia: tramas"},
    {"filter", "filtro"},
    {"severity lowered: explained by {id}", "gravedad rebajada: lo explica {id}"},
    {"server {endpoint}: {unhealthy} of {total} conversations unhealthy, mostly {finding}",
     "servidor {endpoint}: {unhealthy} de {total} conversaciones con problemas, sobre todo {finding}"},
    {"host {endpoint}: {unhealthy} of {total} conversations unhealthy, mostly {finding}",
     "equipo {endpoint}: {unhealthy} de {total} conversaciones con problemas, sobre todo {finding}"},
    {"Capture quality", "Calidad de la captura"},
    {"loss is on the path towards the clients", "la pérdida está en el camino hacia los clientes"},
    {"loss is on the path towards the server", "la pérdida está en el camino hacia el servidor"},
    {"confidence low", "confianza baja"},
    {"confidence medium", "confianza media"},
    {"confidence high", "confianza alta"},
    {"and {count} more findings", "y {count} hallazgos más"},
    {"and {count} more servers with unhealthy conversations", "y {count} servidores más con conversaciones con problemas"},
    {"and {count} more hosts with unhealthy conversations", "y {count} equipos más con conversaciones con problemas"},
    {"servers: only the {limit} most troubled are tracked, so {left_out} conversations with others are not ranked "
     "and the counts are lower bounds",
     "servidores: solo se siguen los {limit} con más problemas, así que {left_out} conversaciones con otros no se "
     "clasifican y los recuentos son mínimos"},
    {"hosts: only the {limit} most troubled are tracked, so {left_out} conversations of others are not ranked and "
     "the counts are lower bounds",
     "equipos: solo se siguen los {limit} con más problemas, así que {left_out} conversaciones de otros no se "
     "clasifican y los recuentos son mínimos"},
}};

[[nodiscard]] constexpr std::string_view phrase(Phrase p, Language language) noexcept {
    return phrases[static_cast<std::size_t>(p)][static_cast<std::size_t>(language)];
}

[[nodiscard]] constexpr std::string_view confidence_phrase(Confidence c, Language language) noexcept {
    return phrase(static_cast<Phrase>(static_cast<std::size_t>(Phrase::confidence_low) + static_cast<std::size_t>(c)), language);
}

} // namespace packetmancer::diagnosis
