// The engine's storage of its detectors and the compile-time fan-out of each hook.
// Boost.Hana stays in here: users and examples never see a hana type.
#pragma once

#include <boost/hana/at.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/tuple.hpp>

#include <cstddef>
#include <type_traits>
#include <utility>

namespace packetmancer::detail {

// hana::tuple stores empty members with the empty-base optimisation, so stateless
// detectors take no space in the engine.
template <class... Detectors>
using DetectorTuple = boost::hana::tuple<Detectors...>;

// Calls `call(detector)` for every detector; `call` selects the hook with
// `if constexpr`, so detectors without it are skipped at compile time.
template <class Tuple, class Call>
inline void for_each_detector(Tuple& detectors, Call&& call) {
    boost::hana::for_each(detectors, std::forward<Call>(call));
}

template <class Wanted, class... Detectors>
consteval std::size_t index_of() {
    constexpr bool matches[] = {std::is_same_v<Wanted, Detectors>..., false};
    for (std::size_t i = 0; i < sizeof...(Detectors); ++i)
        if (matches[i]) return i;
    return sizeof...(Detectors);
}

template <std::size_t Index, class Tuple>
inline decltype(auto) detector_at(Tuple& detectors) {
    return boost::hana::at_c<Index>(detectors);
}

} // namespace packetmancer::detail
