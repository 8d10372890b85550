// The core's backend kit: the key, TTL, glob, lease and payload rules every backend shares (public, hidden from IntelliSense).
global using NativeAotPersistence.Backends;
