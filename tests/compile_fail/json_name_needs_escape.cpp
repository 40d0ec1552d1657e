// expect: a JSON name written in the source must not need escaping
#include <packetmancer/report/json_writer.hpp>

#include <string>

// A name written in the source is checked by the compiler: one with a quote in it would
// need escaping, and is refused rather than escaped on every write.
int main() {
    std::string out;
    packetmancer::report::JsonWriter w(out);
    w.begin_object().member("say \"hi\"", 1).end_object();
}
