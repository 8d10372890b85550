global using System.ComponentModel;
global using NativeAotPersistence.Backends;
