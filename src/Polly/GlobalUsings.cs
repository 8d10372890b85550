// The core's backend kit: the steps of a call through a CircuitBreaker (public, hidden from IntelliSense).
global using NativeAotPersistence.Backends;
