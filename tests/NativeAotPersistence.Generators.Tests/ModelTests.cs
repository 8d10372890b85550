using System.Reflection;

namespace NativeAotPersistence.Generators.Tests;

/// <summary>The model must be plain data, or incremental caching silently breaks and the compilation is kept alive.</summary>
public sealed class ModelTests
{
    [Fact]
    public void No_model_type_has_a_field_of_a_Roslyn_type()
    {
        var assembly = typeof(PayloadGenerator).Assembly;
        var modelTypes = assembly.GetTypes()
            .Where(static t => t.Namespace == "NativeAotPersistence.Generators.Model" && !t.IsEnum && !t.IsAbstract)
            .ToList();
        Assert.Contains(modelTypes, static t => t.Name == "ContextModel");

        var offenders = new List<string>();
        foreach (var type in modelTypes)
        {
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                foreach (var used in Expand(field.FieldType))
                {
                    if (used.Assembly.GetName().Name!.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal))
                    {
                        offenders.Add($"{type.Name}.{field.Name}: {used.FullName}");
                    }
                }
            }
        }

        Assert.Empty(offenders);
    }

    [Fact]
    public void Model_records_have_value_equality()
    {
        var model = typeof(PayloadGenerator).Assembly.GetTypes()
            .Where(static t => t.Namespace == "NativeAotPersistence.Generators.Model" && t.IsClass && !t.IsAbstract && t.Name != "EquatableArray")
            .Where(static t => !t.IsGenericTypeDefinition);
        foreach (var type in model)
        {
            Assert.True(type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEquatable<>)), type.Name);
        }
    }

    private static IEnumerable<Type> Expand(Type type)
    {
        yield return type;
        if (type.HasElementType)
        {
            foreach (var inner in Expand(type.GetElementType()!))
            {
                yield return inner;
            }
        }

        foreach (var argument in type.GetGenericArguments())
        {
            foreach (var inner in Expand(argument))
            {
                yield return inner;
            }
        }
    }
}
