// The backend kit (NativeAotPersistence.Backends): the rules every backend shares, public for backends in other
// assemblies (the PostgreSQL package, third parties) and hidden from IntelliSense. The core uses it everywhere.
global using NativeAotPersistence.Backends;
