global using NativeAotPersistence.Backends;
