'use strict';
/**
 * Preload (`node -r ./force-loopback.cjs ...`) for servers that offer no host setting and bind every
 * interface, such as kinesis-local: a listen on a wildcard or absent host is moved to 127.0.0.1, so a
 * local emulator is never reachable from the network. Pipes, handles and explicit hosts are left alone.
 */
const net = require('node:net');

const LOOPBACK = '127.0.0.1';
const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '0:0:0:0:0:0:0:0', '[::]']);

const originalListen = net.Server.prototype.listen;

function isPortLike(value) {
  return typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value));
}

/** The listen arguments as one options object, or undefined when they name a pipe or a handle. */
function toOptions(args) {
  const [first, second, third] = args;
  if (first === undefined || first === null || isPortLike(first)) {
    const options = { port: first === undefined || first === null ? 0 : Number(first) };
    if (typeof second === 'string') {
      options.host = second;
      if (typeof third === 'number') options.backlog = third;
    } else if (typeof second === 'number') {
      options.backlog = second;
    }
    return options;
  }
  if (typeof first === 'object' && !('_handle' in first) && !('handle' in first) && !('fd' in first) && !('path' in first)) {
    return { ...first };
  }
  return undefined;
}

net.Server.prototype.listen = function listenOnLoopback(...args) {
  const callback = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
  const options = toOptions(args);
  if (options === undefined) {
    return originalListen.apply(this, callback === undefined ? args : [...args, callback]);
  }
  if (options.host === undefined || WILDCARD_HOSTS.has(options.host)) options.host = LOOPBACK;
  return callback === undefined ? originalListen.call(this, options) : originalListen.call(this, options, callback);
};
