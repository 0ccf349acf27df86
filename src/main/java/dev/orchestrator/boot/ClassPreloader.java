package dev.orchestrator.boot;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Loads every application class at start-up. On undeploy and domain shutdown Payara Server stops
 * the WAR's class loader before (or while) the start-up bean's {@code @PreDestroy} runs: a class
 * first needed by the orderly stop then fails with {@code NoClassDefFoundError}, and the stop
 * neither hands running jobs back nor records {@code stopped_at}. Classes loaded while the
 * application runs are already defined and need no loader at that point.
 */
final class ClassPreloader {
    private ClassPreloader() {
    }

    /**
     * The classes beside {@code anchor} (the directory or jar its class file was loaded from) whose
     * names start with {@code prefix}, loaded (not initialized).
     */
    static List<String> preload(Class<?> anchor, String prefix) {
        String file = anchor.getName().replace('.', '/') + ".class";
        URL url = anchor.getClassLoader().getResource(file);
        if (url == null) {
            throw new IllegalStateException("cannot find " + file + " in its class loader");
        }
        String u = url.toString();
        try {
            if ("file".equals(url.getProtocol())) {
                Path root = Path.of(URI.create(u.substring(0, u.length() - file.length())));
                return load(root, prefix, anchor.getClassLoader());
            }
            if ("jar".equals(url.getProtocol()) && u.contains("!/")) {
                Path jarFile = Path.of(URI.create(u.substring("jar:".length(), u.indexOf("!/"))));
                try (FileSystem jar = FileSystems.newFileSystem(jarFile, Map.of())) {
                    return load(jar.getPath("/"), prefix, anchor.getClassLoader());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the classes beside " + u, e);
        }
        throw new IllegalStateException("cannot list the classes beside " + u);
    }

    private static List<String> load(Path root, String prefix, ClassLoader loader) throws IOException {
        Path base = root.resolve(prefix.replace('.', '/'));
        if (!Files.isDirectory(base)) {
            return List.of();
        }
        List<String> names;
        try (Stream<Path> files = Files.walk(base)) {
            names = files.filter(p -> p.getFileName().toString().endsWith(".class"))
                    .map(p -> root.relativize(p).toString().replace('/', '.').replaceAll("\\.class$", ""))
                    .filter(n -> !n.endsWith("package-info"))
                    .sorted().toList();
        }
        List<String> loaded = new ArrayList<>(names.size());
        for (String name : names) {
            try {
                Class.forName(name, false, loader);
                loaded.add(name);
            } catch (ClassNotFoundException | LinkageError e) {
                // a class of an optional part (a test class added to the WAR); nothing stops on it
            }
        }
        return loaded;
    }
}
