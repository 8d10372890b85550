using System;
using System.Collections.Generic;
using System.Linq;
using NativeAotPersistence.Generators.Model;

namespace NativeAotPersistence.Generators.Emit;

/// <summary>Splits a context into the models of its files: one for the context's members, one per type.</summary>
internal static class FileModels
{
    private const int MaxIdLengthInFileName = 80;

    public static ContextFileModel ContextFile(ContextModel model) => new(
        model.Namespace,
        model.ClassName,
        model.HintName,
        model.Types
            .Where(static t => t.PropertyName is not null)
            .Select(static t => new RootModel(t.Id, t.FullyQualifiedName, t.DisplayName, t.PropertyName!, t.IsPublic, t.LookupKey))
            .ToEquatableArray());

    public static EquatableArray<TypeFileModel> TypeFiles(ContextModel model)
    {
        var byId = model.Types.ToDictionary(static t => t.Id, StringComparer.Ordinal);
        var prefix = model.HintName.Substring(0, model.HintName.Length - ".g.cs".Length);
        var files = new List<TypeFileModel>();
        var index = 0;
        foreach (var type in model.Types)
        {
            index++;
            if (type.Shape == TypeShape.BuiltIn && type.PropertyName is null)
            {
                continue;
            }

            var ids = new SortedSet<string>(StringComparer.Ordinal) { type.Id };
            if (type.ElementId is not null)
            {
                ids.Add(type.ElementId);
            }

            if (type.KeyId is not null)
            {
                ids.Add(type.KeyId);
            }

            if (type.Object is not null)
            {
                foreach (var member in type.Object.Members)
                {
                    ids.Add(member.TypeId);
                }
            }

            var id = type.Id.Length <= MaxIdLengthInFileName
                ? type.Id
                : type.Id.Substring(0, MaxIdLengthInFileName) + "_" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
            files.Add(new TypeFileModel(
                model.Namespace,
                model.ClassName,
                prefix + "." + id + ".g.cs",
                model.EnumsAsNumbers,
                type,
                ids.Where(byId.ContainsKey).Select(i => byId[i].ToRef()).ToEquatableArray()));
        }

        return files.ToEquatableArray();
    }
}
