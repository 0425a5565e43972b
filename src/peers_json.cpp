#include "peers_json.h"

#include <rapidjson/writer.h>

#include <string>

namespace autowg {
namespace {

// A RapidJSON output stream that hands the text on in blocks.
class BlockStream {
 public:
  using Ch = char;
  explicit BlockStream(std::function<void(std::string_view)> sink) : sink_(std::move(sink)) {
    buffer_.reserve(kBlock);
  }
  void Put(char c) {
    buffer_ += c;
    if (buffer_.size() >= kBlock) Flush();
  }
  void Flush() {
    if (!buffer_.empty()) sink_(buffer_);
    buffer_.clear();
  }

 private:
  static constexpr size_t kBlock = 16 * 1024;
  std::function<void(std::string_view)> sink_;
  std::string buffer_;
};

}  // namespace

struct PeersJsonWriter::Impl {
  explicit Impl(std::function<void(std::string_view)> sink) : stream(std::move(sink)), writer(stream) {}
  BlockStream stream;
  rapidjson::Writer<BlockStream> writer;
};

PeersJsonWriter::PeersJsonWriter(std::function<void(std::string_view)> sink)
    : impl_(std::make_unique<Impl>(std::move(sink))) {}

PeersJsonWriter::~PeersJsonWriter() = default;

void PeersJsonWriter::begin() { impl_->writer.StartObject(); }

void PeersJsonWriter::peer(const PeerStatus& p) {
  auto& w = impl_->writer;
  w.Key(p.name.data(), rapidjson::SizeType(p.name.size()));
  w.StartObject();  // fields in sorted order
  w.Key("created");
  w.Int64(p.created);
  // Added since the original (its consumers ignore them): what is known of
  // the device's certificate.
  if (p.cert && p.cert->not_after) {
    w.Key("expires");
    w.Int64(p.cert->not_after);
  }
  w.Key("ip");
  std::string ip = p.address.str();
  w.String(ip.data(), rapidjson::SizeType(ip.size()));
  w.Key("last_handshake");
  w.Int64(p.last_handshake);
  w.Key("pubkey");
  std::string key = p.key.base64();
  w.String(key.data(), rapidjson::SizeType(key.size()));
  w.Key("rx_bytes");
  w.Uint64(p.rx_bytes);
  if (p.cert && !p.cert->serial.empty()) {
    w.Key("serial");
    w.String(p.cert->serial.data(), rapidjson::SizeType(p.cert->serial.size()));
  }
  w.Key("tx_bytes");
  w.Uint64(p.tx_bytes);
  w.EndObject();
  ++count_;
}

void PeersJsonWriter::end() {
  impl_->writer.EndObject();
  impl_->stream.Put('\n');
  impl_->stream.Flush();
}

}  // namespace autowg
