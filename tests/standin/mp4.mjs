// mp4.mjs — what the stand-in checks of an uploaded video, as Meta's processing would:
// an ISO base media file (MP4/MOV) whose boxes fit the file and that has a moov box
// with an mvhd (ISO/IEC 14496-12); and sampleMp4(), such a file for tests.

// null when `buf` is such a file, else why not.
export function checkMp4(buf) {
  const top = boxes(buf);
  if (!top) return 'the boxes do not fit the file (truncated?)';
  if (!['ftyp', 'wide', 'free', 'moov', 'mdat'].includes(top[0]?.type)) return 'not an MP4/MOV file';
  const moov = top.find((b) => b.type === 'moov');
  if (!moov) return 'no moov box';
  const inner = boxes(moov.body);
  if (!inner?.some((b) => b.type === 'mvhd')) return 'no mvhd box';
  return null;
}

function boxes(buf) {
  const out = [];
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < 8) return null;
    let size = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    let header = 8;
    if (size === 1) {
      if (buf.length - at < 16) return null;
      size = Number(buf.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) {
      size = buf.length - at;
    }
    if (size < header || at + size > buf.length) return null;
    out.push({ type, body: buf.subarray(at + header, at + size) });
    at += size;
  }
  return out;
}

// A minimal MP4: ftyp, moov with a version-0 mvhd of `durationMs`, mdat of `payload` bytes.
export function sampleMp4(durationMs, payload) {
  const box = (type, body) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(body.length + 8);
    head.write(type, 4, 'latin1');
    return Buffer.concat([head, body]);
  };
  const mvhd = Buffer.alloc(100);
  mvhd.writeUInt32BE(1000, 12);
  mvhd.writeUInt32BE(durationMs, 16);
  const ftyp = Buffer.from('isom\0\0\x02\0isomiso2avc1mp41', 'latin1');
  return Buffer.concat([box('ftyp', ftyp), box('moov', box('mvhd', mvhd)), box('mdat', Buffer.alloc(payload, 0x5a))]);
}
