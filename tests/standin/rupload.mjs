// rupload.mjs — the video upload host rupload.facebook.com, per "Upload Video to Meta
// Servers" (https://developers.facebook.com/documentation/instagram-platform/content-publishing/resumable-uploads):
//
//   POST /rupload.facebook.com/ig-api-upload/{version}/{container-id}
//     Authorization: OAuth <token>   (the Facebook Login user or Page token)
//     offset: <first byte sent>       file_size: <whole file, bytes>
//     body: the file's bytes from `offset` on
//   → 200 {"success":true,"message":"Upload successful."}
//
// The body is read as a stream into the container, so bytes that arrive before a
// connection breaks are kept: the container's video_status.uploading_phase.bytes_transferred
// (publish.mjs) then says where the upload resumes, as Meta reports it.
// Failures use the upload host's own shape {"debug_info":{"retriable","type","message"}}
// (ASSUMPTION: the shape is not in the guide; it is what the host answers in practice),
// token problems the Graph shape.
//
// Faults (faults.mjs) match host "rupload.facebook.com"; `cut_upload` {"afterBytes": N}
// keeps N bytes of the next upload and then destroys the socket (an interruption).

import { checkMp4 } from './mp4.mjs';
import { tokenProblem } from './errors.mjs';
import { containerForViewer } from './graph.mjs';
import { json, send } from './http.mjs';
import { tokenOf } from './oauth.mjs';

export const RUPLOAD_HOST = 'rupload.facebook.com';

export async function ruploadRoute(state, req, res, path, fault) {
  const segs = path.split('/').filter(Boolean);
  if (segs[0] !== 'ig-api-upload') return finish(req, res, uploadError(404, 'NotFound', `no upload endpoint at ${path}`));
  if (segs[1] && /^v\d+\.\d+$/.test(segs[1])) segs.splice(1, 1);
  const id = segs[1];
  if (req.method !== 'POST' || segs.length !== 2) {
    return finish(req, res, uploadError(405, 'MethodNotAllowed', 'POST /ig-api-upload/{version}/{container-id}'));
  }
  const token = tokenOf({ params: {}, headers: req.headers });
  if (!/^OAuth\s/i.test(req.headers.authorization ?? '')) {
    return finish(req, res, uploadError(400, 'ParameterValidationError', 'Authorization header must be "OAuth <access token>"'));
  }
  const check = state.checkToken(token, 'facebook');
  if (check.problem) return finish(req, res, tokenProblem(check, state.now()));
  const container = containerForViewer(state, check.record, id);
  if (!container?.upload) {
    return finish(req, res, uploadError(400, 'ProcessingFailedError', `${id} is not a resumable upload container of this account`));
  }
  const offset = wholeHeader(req.headers.offset);
  const fileSize = wholeHeader(req.headers.file_size);
  if (offset == null) return finish(req, res, uploadError(400, 'ParameterValidationError', 'HeaderValuePredicate: Header Offset not convertable to unsigned long'));
  if (fileSize == null) return finish(req, res, uploadError(400, 'ParameterValidationError', 'HeaderValuePredicate: Header file_size not convertable to unsigned long'));
  const up = container.upload;
  if (up.size != null && up.size !== fileSize) {
    return finish(req, res, uploadError(400, 'ParameterValidationError', `file_size ${fileSize} differs from the ${up.size} bytes this upload started with`));
  }
  if (offset > up.received) {
    return finish(req, res, uploadError(400, 'ParameterValidationError', `offset ${offset} is past the ${up.received} bytes received; resume at ${up.received}`));
  }
  if (up.complete) return finish(req, res, json(200, { success: true, message: 'Upload successful.' }));
  up.size = fileSize;
  // A resend from an earlier offset replaces what followed it.
  up.chunks = truncate(up.chunks, offset);
  up.received = offset;

  const cutAfter = fault?.fault.type === 'cut_upload' ? Number(fault.fault.afterBytes ?? 0) : null;
  let thisRequest = 0;
  try {
    for await (const chunk of req) {
      let piece = chunk;
      if (cutAfter != null && thisRequest + piece.length >= cutAfter) {
        piece = piece.subarray(0, Math.max(0, cutAfter - thisRequest));
      }
      if (up.received + piece.length > fileSize) {
        return send(res, uploadError(400, 'ParameterValidationError', `more bytes than file_size ${fileSize}`));
      }
      up.chunks.push(Buffer.from(piece));
      up.received += piece.length;
      thisRequest += piece.length;
      state.uploadBytes = (state.uploadBytes ?? 0) + piece.length;
      if (cutAfter != null && thisRequest >= cutAfter) {
        req.socket.destroy(); // the interruption: what arrived is kept
        return 'cut';
      }
    }
  } catch {
    return 'broken'; // the client went away mid-body: keep what arrived
  }
  if (cutAfter != null) {
    req.socket.destroy();
    return 'cut';
  }
  if (up.received === fileSize) {
    up.complete = true;
    const now = state.now();
    container.readyAt = now + (state.config.processingMs[container.kind === 'STORIES' ? 'STORIES_VIDEO' : container.kind] ?? 0);
    const problem = checkMp4(Buffer.concat(up.chunks));
    if (problem) container.failure = { statusText: 'Error: Media upload has failed with error code 2207026' };
    up.chunks = [Buffer.concat(up.chunks)];
  }
  send(res, json(200, { success: true, message: 'Upload successful.' }));
  return 'ok';
}

function finish(req, res, response) {
  req.resume(); // drain the body we will not read
  send(res, response);
  return response.status;
}

export function uploadError(status, type, message, retriable = false) {
  return json(status, { debug_info: { retriable, type, message } });
}

function wholeHeader(value) {
  if (value == null || !/^\d+$/.test(String(value))) return null;
  return Number(value);
}

function truncate(chunks, length) {
  const all = Buffer.concat(chunks);
  return length >= all.length ? [all] : [all.subarray(0, length)];
}

// video_status of a resumable container, the uploading phase first
// (ASSUMPTION: same field names as the Video API's status object, see publish.mjs).
export function videoStatus(container) {
  const up = container.upload;
  if (!up) return undefined;
  const uploading = {
    status: up.complete ? 'complete' : up.received > 0 ? 'in_progress' : 'not_started',
    bytes_transferred: up.received,
  };
  return { uploading_phase: uploading, processing_phase: { status: up.complete ? 'complete' : 'not_started' } };
}
