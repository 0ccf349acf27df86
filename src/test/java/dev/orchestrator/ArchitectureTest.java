package dev.orchestrator;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

/**
 * The package tree is the architecture (docs/architecture.md), and this test holds it to that:
 * <pre>
 * api -> service -> node -> reaper -> run -> {store, process, runfiles} -> domain
 * jmx -> service (and below)
 *                     \-> retention -> store
 * boot wires everything; config is read by boot (and the launcher) only; launcher stands apart
 * </pre>
 * A package may use any package below it, never one above it, and no two packages import each
 * other. A new arrow against the rule fails here, naming the classes.
 */
class ArchitectureTest {
    private static final String ROOT = "dev.orchestrator";
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(ROOT);

    private static String pkg(String name) {
        return ROOT + "." + name + "..";
    }

    @Test
    void dependencies_point_one_way_from_the_api_down_to_the_domain() {
        ArchRule layers = layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("boot").definedBy(pkg("boot"))
                .layer("launcher").definedBy(pkg("launcher"))
                .layer("config").definedBy(pkg("config"))
                .layer("api").definedBy(pkg("api"))
                .layer("jmx").definedBy(pkg("jmx"))
                .layer("service").definedBy(pkg("service"))
                .layer("node").definedBy(pkg("node"))
                .layer("retention").definedBy(pkg("retention"))
                .layer("reaper").definedBy(pkg("reaper"))
                .layer("run").definedBy(pkg("run"))
                .layer("store").definedBy(pkg("store"))
                .layer("process").definedBy(pkg("process"))
                .layer("runfiles").definedBy(pkg("runfiles"))
                .layer("domain").definedBy(pkg("domain"))

                .whereLayer("boot").mayNotBeAccessedByAnyLayer()
                .whereLayer("launcher").mayNotBeAccessedByAnyLayer()
                .whereLayer("config").mayOnlyBeAccessedByLayers("boot", "launcher")
                .whereLayer("api").mayOnlyBeAccessedByLayers("boot")
                .whereLayer("jmx").mayOnlyBeAccessedByLayers("boot")
                .whereLayer("service").mayOnlyBeAccessedByLayers("api", "jmx", "boot")
                .whereLayer("node").mayOnlyBeAccessedByLayers("service", "api", "jmx", "boot")
                .whereLayer("retention").mayOnlyBeAccessedByLayers("node", "boot")
                .whereLayer("reaper").mayOnlyBeAccessedByLayers("node", "service", "api", "jmx", "boot")
                .whereLayer("run").mayOnlyBeAccessedByLayers("reaper", "node", "service", "jmx", "boot")
                .whereLayer("store").mayOnlyBeAccessedByLayers("run", "reaper", "node", "retention", "service", "jmx",
                        "boot")
                .whereLayer("process").mayOnlyBeAccessedByLayers("run", "reaper", "node", "boot", "launcher")
                .whereLayer("runfiles").mayOnlyBeAccessedByLayers("run", "reaper", "node", "retention", "service",
                        "boot", "api") // api: the live log stream reads the run's file piece by piece (LogStreams)
                .whereLayer("domain").mayOnlyBeAccessedByLayers("api", "jmx", "service", "node", "retention", "reaper",
                        "run", "store", "process", "runfiles", "boot", "config");
        layers.check(MAIN);
    }

    @Test
    void no_two_packages_depend_on_each_other() {
        slices().matching(ROOT + ".(*)..").should().beFreeOfCycles().check(MAIN);
        slices().matching(ROOT + ".domain.(*)..").should().beFreeOfCycles().check(MAIN);
    }

    @Test
    void only_the_composition_root_and_the_api_know_the_container() {
        noClasses().that(not(com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage(
                        pkg("boot"), pkg("api"), pkg("store"), pkg("domain"))))
                .should().dependOnClassesThat().resideInAnyPackage("jakarta.ejb..", "jakarta.enterprise..",
                        "jakarta.ws.rs..", "jakarta.inject..", "jakarta.annotation..", "jakarta.persistence..",
                        "jakarta.transaction..")
                .because("the parts below the API are plain Java that tests build without a container")
                .check(MAIN);
    }
}
